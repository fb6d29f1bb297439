import { IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { Trim } from '../../common/decorators/trim.decorator';

export class CreateListDto {
  /** @example "Weekly shop" */
  @Trim() @IsString() @Length(1, 100) name!: string;
}

export class UpdateListDto {
  /** @example "Weekend shop" */
  @Trim() @IsString() @Length(1, 100) name!: string;
}

export class JoinListDto {
  /** The code another member shared, e.g. "A4F-92K" (case and dash optional). */
  @Trim() @IsString() @MaxLength(32) inviteCode!: string;
}

export class ListQuery {
  /** Order the items by this store's learned walking order. */
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' }) storeId?: string;
}
