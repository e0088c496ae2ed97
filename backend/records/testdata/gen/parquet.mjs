// Writes the Parquet fixtures with DuckDB (an independent writer): node parquet.mjs OUTDIR
// The rows are a formula of i that records' tests repeat to know each row's identifiers.
import { DuckDBInstance } from '@duckdb/node-api';

const out = process.argv[2];
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await db.connect();
await c.run(`
CREATE TABLE list AS
SELECT
  i AS id,
  CASE WHEN i = 0 THEN 'janedoe@gmail.com'
       WHEN i = 1 THEN ' Jane.Doe+shopping@Gmail.com '
       WHEN i = 2 THEN ' fake_email@doesnotexist.com '
       WHEN i % 10 = 7 THEN NULL
       ELSE 'Person' || i || '.Name+promo@Example.COM' END AS email,
  CASE WHEN i = 0 THEN 16134444444::BIGINT
       WHEN i % 10 = 3 THEN NULL
       ELSE (16135550000 + i)::BIGINT END AS phone,
  CASE WHEN i = 0 THEN '+374 93 828 222'
       WHEN i = 1 THEN '(613)-444-4444'
       WHEN i = 2 THEN '+44 844 412 4653'
       ELSE '+1 (613) 555-' || lpad(i::VARCHAR, 4, '0') END AS phone_text,
  (16138880000 + i)::DOUBLE AS phone_double,
  (16136660000 + i)::DECIMAL(18,0) AS phone_decimal,
  CASE WHEN i = 0 THEN '5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25'::UUID
       WHEN i % 10 = 5 THEN NULL
       ELSE (lpad(printf('%x', i), 8, '0') || '-0000-4000-8000-' || lpad(printf('%x', i), 12, '0'))::UUID END AS maid,
  CASE WHEN i = 0 THEN ' 918F1D4F-D195-4A8B-AF47-44683FE11DB9 '
       ELSE upper(lpad(printf('%x', i), 8, '0') || '-aaaa-4bbb-8ccc-' || lpad(printf('%x', i), 12, '0')) END AS idfa_text,
  {'email': 'nested' || i || '@example.org', 'level': {'phone': (16137770000 + i)::BIGINT}} AS contact,
  'shared' || (i % 5) || '@example.net' AS dict_email,
  ['a', 'b'] AS tags,
  i * 1.5 AS score,
  CASE WHEN i % 2 = 0 THEN 'retail' ELSE 'online' END AS segment
FROM range(4500) t(i)
ORDER BY i`);
// DuckDB cuts row groups at its 2048-row vectors: zstd and snappy hold 4500 rows in 3 row groups; gzip and
// uncompressed the first 250 rows in one, to keep the committed files small.
for (const [codec, rows] of [['zstd', 4500], ['snappy', 4500], ['gzip', 250], ['uncompressed', 250]]) {
  await c.run(`COPY (SELECT * FROM list WHERE id < ${rows} ORDER BY id) TO '${out}/list_${codec}.parquet' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`);
}
// Parquet modular encryption (AES-GCM): readers without the key must refuse it clearly.
// A fixture only: DuckDB's built-in crypto module is fine for a file nobody has to keep secret.
await c.run(`SET force_mbedtls_unsafe = 'true'`);
await c.run(`PRAGMA add_parquet_key('k', '0123456789112345')`);
await c.run(`COPY (SELECT id, email FROM list WHERE id < 10) TO '${out}/encrypted.parquet' (FORMAT parquet, ENCRYPTION_CONFIG {footer_key: 'k'})`);
const r = await c.runAndReadAll(`SELECT file_name, count(DISTINCT row_group_id) AS groups, max(row_group_num_rows) AS max_group_rows, any_value(compression) AS codec FROM parquet_metadata('${out}/list_*.parquet') GROUP BY file_name ORDER BY file_name`);
console.log(JSON.stringify(r.getRowObjectsJson()));
