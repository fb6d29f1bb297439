import { IsUUID } from 'class-validator';

/** `{"type":"item:checking","payload":{"itemId":"…"}}`: another member is checking this item. */
export class ItemCheckingDto {
  @IsUUID('all', { message: 'item:checking needs payload.itemId (a UUID).' }) itemId!: string;
}
