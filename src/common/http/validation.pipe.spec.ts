import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { createValidationPipe } from './validation.pipe';

class OptionalQuery {
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' }) storeId?: string;
  @IsOptional() @Type(() => Number) @IsInt() limit = 20;
  notAParameter = 'stripped by the whitelist';
}

class RequiredQuery {
  @Type(() => Number) @IsInt() @Min(1) page!: number;
}

const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype });
const STORE = '6f1c2b1e-8a4b-4c3d-9e2f-0a1b2c3d4e5f';

describe('the global validation pipe, on queries', () => {
  it('should answer an instance of the query class with its defaults for an empty query, every time', async () => {
    const pipe = createValidationPipe();
    const first = await pipe.transform({}, query(OptionalQuery));
    const second = await pipe.transform(Object.create(null), query(OptionalQuery));
    for (const answer of [first, second]) {
      expect(answer).toBeInstanceOf(OptionalQuery);
      expect({ ...answer }).toStrictEqual({ storeId: undefined, limit: 20 });
    }
    expect(second).not.toBe(first); // a new instance: a handler may change its own
  });

  it('should still validate a non-empty query after empty ones were found valid', async () => {
    const pipe = createValidationPipe();
    await pipe.transform({}, query(OptionalQuery));
    await expect(pipe.transform({ storeId: 'nope' }, query(OptionalQuery))).rejects.toThrow('storeId must be a UUID.');
    await expect(pipe.transform({ storeId: STORE, limit: '5', utm: 'x' }, query(OptionalQuery))).resolves.toEqual({
      storeId: STORE,
      limit: 5,
    });
  });

  it('should refuse an empty query every time for a class that needs a parameter', async () => {
    const pipe = createValidationPipe();
    for (let attempt = 0; attempt < 2; attempt++) {
      const refusal = await pipe.transform({}, query(RequiredQuery)).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(BadRequestException);
      expect((refusal as BadRequestException).message).toBe('page must not be less than 1.');
    }
    await expect(pipe.transform({ page: '2' }, query(RequiredQuery))).resolves.toEqual({ page: 2 });
  });
});
