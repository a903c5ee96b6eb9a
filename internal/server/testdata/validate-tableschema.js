// Validates every CSV of an open-data package against its Table Schema
// with the Frictionless JavaScript library (npm "tableschema"), which
// shares nothing with the Go code that writes them. Usage:
//   NODE_PATH=<dir>/node_modules node validate-tableschema.js <package dir>
// Exits 1 and prints the errors when a schema is invalid, a header differs
// from the schema's fields, or a row fails to cast or breaks a constraint.
'use strict';
const fs = require('fs');
const path = require('path');
const {Schema, Table} = require('tableschema');

(async () => {
  const dir = process.argv[2];
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'datapackage.json'), 'utf8'));
  let failed = false;
  const fail = (...msg) => { console.error(...msg); failed = true; };
  for (const res of pkg.resources) {
    const schema = await Schema.load(res.schema);
    if (!schema.valid) { fail(res.name, 'invalid schema', schema.errors.map(String)); continue; }
    const table = await Table.load(path.join(dir, res.path), {schema});
    let rows;
    try {
      rows = await table.read({forceCast: true});
    } catch (e) {
      fail(res.name, 'read:', e.message, (e.errors || []).map(String));
      continue;
    }
    if (table.headers.join(',') !== schema.fieldNames.join(',')) {
      fail(res.name, 'header', table.headers, 'want', schema.fieldNames);
    }
    rows.forEach((row, i) => {
      if (row instanceof Error) fail(res.name, 'row', i + 2, row.message, (row.errors || []).map(String));
    });
    console.log(res.name + ': ' + rows.length + ' rows read');
  }
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
