import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ErrorDetail } from './error-body';

/** class-validator says "quantity must be …": the detail names the field separately. */
function withoutSubject(text: string, property: string): string {
  return text.startsWith(`${property} `) ? text.slice(property.length + 1) : text;
}

function flatten(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([kind, text]) => ({
      field,
      problem: kind === 'whitelistValidation' ? 'is not an allowed property' : withoutSubject(text, error.property),
    }));
    return [...own.slice(0, 1), ...flatten(error.children ?? [], field)];
  });
}

export class RequestValidationException extends BadRequestException {
  constructor(readonly details: ErrorDetail[]) {
    const [first] = details;
    super(
      details.length === 1
        ? `${first.field} ${first.problem}.`
        : `The request has ${details.length} invalid fields: ${details.map((d) => d.field).join(', ')}.`,
    );
  }
}

const OPTIONS = {
  whitelist: true,
  forbidUnknownValues: true,
  transform: true,
  validationError: { target: false, value: false },
  exceptionFactory: (errors: ValidationError[]) => new RequestValidationException(flatten(errors)),
};

/**
 * The one global pipe: whitelist, transform, contract-shaped errors. Unknown body
 * properties are rejected; unknown query parameters (cache busters, tracking tags) are
 * ignored, so a GET never fails on a parameter it does not use.
 */
class AppValidationPipe extends ValidationPipe {
  private readonly queries = new ValidationPipe({ ...OPTIONS, forbidNonWhitelisted: false });

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    return metadata.type === 'query' ? this.queries.transform(value, metadata) : super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({ ...OPTIONS, forbidNonWhitelisted: true });
}
