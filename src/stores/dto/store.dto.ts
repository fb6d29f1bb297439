import { ArrayMaxSize, IsArray, IsString, Length, MaxLength } from 'class-validator';
import { Trim } from '../../common/decorators/trim.decorator';

export class CreateStoreDto {
  /** Unique per list, case-insensitively. @example "Lidl Main St" */
  @Trim() @IsString() @Length(1, 100) name!: string;
}

export class PostOrderDto {
  /** Item names in the order this device checked them (at most 500). */
  @IsArray() @ArrayMaxSize(500) @IsString({ each: true }) @MaxLength(200, { each: true }) order!: string[];
}
