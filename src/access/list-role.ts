/** What a member may do on a list: the owner also renames members out, rotates the code and deletes. */
export type ListRole = 'owner' | 'member';
