#!/usr/bin/env node
// The client under test of the MCP conformance suite: a thin script over keyturn's public library
// and the MCP SDK. It gets the server URL as its last argument, MCP_CONFORMANCE_SCENARIO, and
// MCP_CONFORMANCE_CONTEXT (pre-registered credentials). Every protocol step is keyturn's: this
// script only makes the client, hands `client.fetch` to the SDK's transport, and calls a tool.
// The suite's authorization endpoint approves at once, so the "browser" (BROWSER, set by the test)
// is an HTTP GET that follows the redirect to keyturn's loopback callback.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createClient } from '../../dist/index.js';

const serverUrl = process.argv.at(-1);
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');

const keyturn = createClient({
  resource: serverUrl,
  // A client ID metadata document URL on a name that never resolves: no test leaves loopback.
  clientMetadataUrl: 'https://keyturn-conformance.invalid/client-metadata.json',
  ...(typeof context.client_id === 'string' ? { clientId: context.client_id } : {}),
  ...(typeof context.client_secret === 'string' ? { clientSecret: context.client_secret } : {}),
});

const client = new Client({ name: 'keyturn-conformance-client', version: '1.0.0' }, { capabilities: {} });
const transport = new StreamableHTTPClientTransport(new URL(serverUrl), {
  fetch: (input, init) => keyturn.fetch(input, init),
});
try {
  await client.connect(transport);
  await client.listTools();
  await client.callTool({ name: 'test-tool', arguments: {} });
  await transport.close();
  console.log('keyturn conformance client: connected, listed tools, called a tool');
} catch (error) {
  console.error(`keyturn conformance client: ${error?.code ?? ''} ${error?.message ?? error}`);
  process.exitCode = 1;
}
