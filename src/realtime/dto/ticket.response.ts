export class TicketResponse {
  /** Use once as `?ticket=` on `/ws/lists/:listId`, instead of the long-lived token. */
  ticket!: string;
  expiresAt!: string;
}
