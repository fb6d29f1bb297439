import { ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationException } from './validation.pipe';

/** Path ids must be UUIDs; anything else is a 400 naming the parameter. */
export const UuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => new RequestValidationException([{ field: name, problem: 'must be a UUID' }]),
  });
