#!/usr/bin/env node
// Checks Cypher texts with Neo4j's own parser and semantic analyser
// (@neo4j-cypher/language-support): the texts the Neo4j backend sends, collected by
// tests/test_graph_lint.py. Labels, types and functions are not checked against a database
// (no schema is given); syntax and semantics (scoping, aggregation, clause order) are.
//
// stdin:  JSON array of {"name": string, "cypher": string}
// stdout: JSON array of {"name", "severity", "message", "line", "column"}
// exit:   1 when any diagnostic is an error, else 0.
'use strict';
const fs = require('fs');
const { lintCypherQuery, isNotParamError } = require('@neo4j-cypher/language-support');

const items = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = [];
for (const { name, cypher } of items) {
  const { diagnostics } = lintCypherQuery(cypher, {});
  // Parameters are bound by the driver at run time; an empty schema cannot declare them.
  for (const d of diagnostics.filter(isNotParamError)) {
    out.push({
      name,
      severity: d.severity === 1 ? 'error' : 'warning',
      message: d.message,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
    });
  }
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
process.exitCode = out.some((d) => d.severity === 'error') ? 1 : 0;
