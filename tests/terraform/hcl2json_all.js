// Parses HCL files with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly) and
// writes {"<path>": <parsed JSON>, ...} to the output file. Exits 1 after listing every file that
// does not parse.
//
// Usage: node hcl2json_all.js MODULE_DIR OUT.json FILE...
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [moduleDir, out, ...files] = process.argv.slice(2);
  if (!moduleDir || !out || files.length === 0) {
    console.error('usage: node hcl2json_all.js MODULE_DIR OUT.json FILE...');
    process.exit(2);
  }
  const { parse } = require(path.resolve(moduleDir, '@cdktf', 'hcl2json'));
  const parsed = {};
  const errors = [];
  for (const file of files) {
    try {
      parsed[file] = await parse(file, fs.readFileSync(file, 'utf8'));
    } catch (e) {
      errors.push(`${file}: ${String(e && e.message ? e.message : e)}`);
    }
  }
  fs.writeFileSync(out, JSON.stringify(parsed, null, 1));
  for (const e of errors) console.error(`HCL parse error: ${e}`);
  console.log(`hcl2json: ${files.length - errors.length} of ${files.length} files parsed`);
  process.exit(errors.length === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
