import { PreparedStatement } from './prepared-statement';

describe('PreparedStatement', () => {
  it('should refuse a second text under a name already declared', () => {
    PreparedStatement.declare('spec.twice', 'SELECT 1');
    expect(() => PreparedStatement.declare('spec.twice', 'SELECT 2')).toThrow(
      'prepared statement "spec.twice" is declared twice with different SQL',
    );
  });

  it('should accept the same text declared again (a module loaded twice by jest)', () => {
    const first = PreparedStatement.declare('spec.same', 'SELECT $1::int');
    expect(PreparedStatement.declare('spec.same', 'SELECT $1::int')).toEqual(first);
  });

  it('should hand TypeORM a config node-postgres runs as a named statement, shown as its SQL', async () => {
    const statement = PreparedStatement.declare('spec.run', 'SELECT $1::int AS n');
    const query = jest.fn().mockResolvedValue([{ n: 7 }]);
    await expect(statement.run({ query } as never, [7])).resolves.toEqual([{ n: 7 }]);
    expect(query).toHaveBeenCalledWith(statement, [7]);
    expect(query.mock.calls[0][0]).toMatchObject({ name: 'spec.run', text: 'SELECT $1::int AS n' });
    expect(String(statement)).toBe('SELECT $1::int AS n');
  });
});
