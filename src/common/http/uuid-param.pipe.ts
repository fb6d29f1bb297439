import { ArgumentMetadata, ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { RequestValidationException } from './validation.pipe';

/**
 * A path id: a UUID (anything else is a 400 naming the parameter), in the lower case the
 * server writes ids in. Ids travel on from here as strings (event payloads, the NOTIFY that
 * wakes a list's sockets, cache keys), where `ABC…` and `abc…` are not the same id.
 */
class UuidParamPipe implements PipeTransform<string, Promise<string>> {
  private readonly uuid: ParseUUIDPipe;

  constructor(name: string) {
    this.uuid = new ParseUUIDPipe({
      exceptionFactory: () => new RequestValidationException([{ field: name, problem: 'must be a UUID' }]),
    });
  }

  async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return (await this.uuid.transform(value, metadata)).toLowerCase();
  }
}

export const UuidParam = (name: string) => new UuidParamPipe(name);
