import { firstListName } from './auth.service';

describe('firstListName', () => {
  it('should name the first list "<name>\'s List"', () => {
    expect(firstListName('Ana')).toBe("Ana's List");
  });

  it('should shorten long names so the list name stays within 100 characters', () => {
    const name = firstListName('x'.repeat(100));
    expect(name).toHaveLength(100);
    expect(name.endsWith("'s List")).toBe(true);
  });
});
