#!/usr/bin/env node
// A "browser" for authorization servers that approve at once: GET the authorization URL and
// follow its redirects to the loopback callback (the MCP conformance suite's servers do this).
const url = process.argv.at(-1);
const response = await globalThis.fetch(url, { redirect: 'follow' });
await response.arrayBuffer();
