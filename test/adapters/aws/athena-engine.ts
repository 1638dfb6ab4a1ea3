/**
 * A real SQL engine behind the Athena stand-in: the Glue table of a test is created in
 * DuckDB with the column types GetTableMetadata gives (Hive names mapped to SQL), rows
 * are inserted, and the query text the adapter sends is run on it, so a test proves the
 * text names only columns the table has and sums what Athena would. Results come back
 * as Athena's: header first, every value a string ('' for NULL).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { GlueTable } from './athena-fixtures.js';

const SQL_TYPES: Record<string, string> = { string: 'VARCHAR', double: 'DOUBLE', timestamp: 'TIMESTAMP', bigint: 'BIGINT' };

export interface Engine {
  /** Runs `sql`; header row first, NULL as ''. */
  query(sql: string): Promise<string[][]>;
  close(): void;
}

const literal = (value: string | null | undefined): string => (value === null || value === undefined ? 'NULL' : `'${value.replace(/'/g, "''")}'`);

/** `database.table` with `table`'s columns (partition keys last), holding `rows` (by column name; missing ones NULL). */
export async function engineWith(relation: string, table: GlueTable, rows: ReadonlyArray<Record<string, string | null>>): Promise<Engine> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  const [database, name] = relation.split('.') as [string, string];
  const columns = [...table.Columns, ...table.PartitionKeys];
  const typeOf = (hive: string): string => {
    const sql = SQL_TYPES[hive];
    if (sql === undefined) throw new Error(`the test engine has no type for ${hive}`);
    return sql;
  };
  await connection.run(`CREATE SCHEMA "${database}"`);
  await connection.run(`CREATE TABLE "${database}"."${name}" (${columns.map((c) => `"${c.Name}" ${typeOf(c.Type)}`).join(', ')})`);
  for (const row of rows) {
    await connection.run(`INSERT INTO "${database}"."${name}" VALUES (${columns.map((c) => literal(row[c.Name])).join(', ')})`);
  }
  return {
    async query(sql) {
      const reader = await connection.runAndReadAll(sql);
      const body = (reader.getRows() as unknown[][]).map((r) => r.map((v) => (v === null || v === undefined ? '' : String(v))));
      return [reader.columnNames(), ...body];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
