import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { WebSocket } from 'ws';

/** Every failure of a client frame becomes one `error` frame on that socket; unexpected ones are logged. */
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
    if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify({ type: 'error', payload: { message } }));
  }
}
