import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { WebSocket } from 'ws';

/** The one answer to a client frame that was not accepted (it went nowhere): `{type: 'error', payload: {message}}`. */
export function errorFrame(message: string): { type: 'error'; payload: { message: string } } {
  return { type: 'error', payload: { message } };
}

/**
 * Every failure of a client frame's handler becomes one `errorFrame` on that socket;
 * unexpected ones are logged. Frames refused before any handler (not JSON, unknown type)
 * get the same frame from ListSocketAdapter.
 */
@Catch()
export class WsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('WebSocket');

  catch(exception: unknown, host: ArgumentsHost): void {
    const client = host.switchToWs().getClient<WebSocket>();
    let message: string;
    if (exception instanceof WsException || exception instanceof HttpException) {
      message = exception.message;
    } else {
      this.logger.warn({ err: exception }, 'client frame failed');
      message = 'That frame could not be handled; try again.';
    }
    if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(errorFrame(message)));
  }
}
