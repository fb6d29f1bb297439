import { IsUUID } from 'class-validator';

export class CreateTicketDto {
  /** The list the socket will subscribe to. */
  @IsUUID('all', { message: 'must be a UUID' }) listId!: string;
}
