import { ArgumentMetadata, ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationException } from './validation.pipe';

/**
 * Path ids must be UUIDs; anything else is a 400 naming the parameter. A UUID is the same id
 * whatever its case, and the database, the realtime rooms and the frames spell it in lower
 * case: an upper-case id from a client is lowered here, once, for every route.
 */
class LowerCaseUuidPipe extends ParseUUIDPipe {
  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return (await super.transform(value, metadata)).toLowerCase();
  }
}

export const UuidParam = (name: string) =>
  new LowerCaseUuidPipe({
    exceptionFactory: () => new RequestValidationException([{ field: name, problem: 'must be a UUID' }]),
  });
