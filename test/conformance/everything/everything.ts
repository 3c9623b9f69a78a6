/**
 * A test-only plugin: the tools, resources and prompts of the conformance suite's "everything" fixture
 * server (`conformance list --server`), built with nothing but the plugin API. With it loaded, the whole
 * active server suite runs against Portico — proof that a plugin reaches every part of MCP: content types,
 * progress, logging, sampling, elicitation, resources (templates, subscriptions), prompts, completions.
 */
import type { PluginApi, ToolContext, ToolResult } from '../../../plugins/portico';

/** A 1×1 red PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A tenth of a second of silence: 8 kHz, 8-bit mono WAV. */
function wav(): string {
  const samples = 800;
  const bytes = Buffer.alloc(44 + samples, 0x80);
  bytes.write('RIFF', 0);
  bytes.writeUInt32LE(36 + samples, 4);
  bytes.write('WAVEfmt ', 8);
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20);
  bytes.writeUInt16LE(1, 22);
  bytes.writeUInt32LE(8000, 24);
  bytes.writeUInt32LE(8000, 28);
  bytes.writeUInt16LE(1, 32);
  bytes.writeUInt16LE(8, 34);
  bytes.write('data', 36);
  bytes.writeUInt32LE(samples, 40);
  return bytes.toString('base64');
}

const NO_ARGUMENTS = { type: 'object', properties: {} } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string): ToolResult => ({ content: [{ type: 'text', text: value }] });

export default function everything(api: PluginApi): void {
  const tool = (name: string, description: string, handler: (args: Record<string, unknown>, context: ToolContext) => ToolResult | Promise<ToolResult>, inputSchema: Record<string, unknown> = NO_ARGUMENTS) =>
    api.addTool({ name, description, inputSchema, handler });

  tool('test_simple_text', 'Returns a simple text', () => text('This is a simple text response for testing.'));
  tool('test_image_content', 'Returns an image', () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }));
  tool('test_audio_content', 'Returns audio', () => ({ content: [{ type: 'audio', data: wav(), mimeType: 'audio/wav' }] }));
  tool('test_embedded_resource', 'Returns an embedded resource', () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));
  tool('test_multiple_content_types', 'Returns text, an image and a resource', () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  }));
  tool('test_tool_with_logging', 'Sends three log messages while it runs', async (_args, context) => {
    await context.log('info', 'Tool execution started');
    await sleep(50);
    await context.log('info', 'Tool processing data');
    await sleep(50);
    await context.log('info', 'Tool execution completed');
    return text('Tool with logging executed successfully');
  });
  tool('test_error_handling', 'Always fails', () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  tool('test_tool_with_progress', 'Reports progress 0, 50, 100 of 100', async (_args, context) => {
    for (const progress of [0, 50, 100]) {
      await context.progress(progress, 100);
      if (progress < 100) await sleep(50);
    }
    return text('Tool with progress executed successfully');
  });
  tool(
    'test_sampling',
    "Asks the client's model",
    async (args, context) => {
      const answer = await context.sample({ messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }], maxTokens: 100 });
      if (!answer) return { isError: true, content: [{ type: 'text', text: 'This client cannot sample (no sampling capability).' }] };
      return text(`LLM response: ${answer.content.type === 'text' ? (answer.content as { text: string }).text : JSON.stringify(answer.content)}`);
    },
    { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } }, required: ['prompt'] },
  );
  tool(
    'test_elicitation',
    'Asks the user for a username and an email',
    async (args, context) => {
      const answer = await context.elicit(String(args.message), {
        type: 'object',
        properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } },
        required: ['username', 'email'],
      });
      if (!answer) return { isError: true, content: [{ type: 'text', text: 'This client cannot ask its user (no elicitation capability).' }] };
      return text(`User response: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`);
    },
    { type: 'object', properties: { message: { type: 'string', description: 'The message to show the user' } }, required: ['message'] },
  );
  const elicitCompleted = async (context: ToolContext, message: string, schema: Record<string, unknown>) => {
    const answer = await context.elicit(message, schema);
    if (!answer) return { isError: true, content: [{ type: 'text' as const, text: 'This client cannot ask its user.' }] };
    return text(`Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`);
  };
  tool('test_elicitation_sep1034_defaults', 'Asks with a default for every primitive type', (_args, context) =>
    elicitCompleted(context, 'Please review your details', {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'User name', default: 'John Doe' },
        age: { type: 'integer', description: 'User age', default: 30 },
        score: { type: 'number', description: 'User score', default: 95.5 },
        status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
        verified: { type: 'boolean', description: 'Verification status', default: true },
      },
      required: [],
    }),
  );
  tool('test_elicitation_sep1330_enums', 'Asks with each kind of enum', (_args, context) =>
    elicitCompleted(context, 'Please choose', {
      type: 'object',
      properties: {
        untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
        titledSingle: { type: 'string', oneOf: [{ const: 'value1', title: 'First Option' }, { const: 'value2', title: 'Second Option' }, { const: 'value3', title: 'Third Option' }] },
        legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
        untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
        titledMulti: { type: 'array', items: { anyOf: [{ const: 'value1', title: 'First Choice' }, { const: 'value2', title: 'Second Choice' }, { const: 'value3', title: 'Third Choice' }] } },
      },
      required: [],
    }),
  );
  // the alpha suite's version of the fixture: SEP-2106's $anchor, composition and conditional keywords too
  tool('json_schema_2020_12_tool', 'Tool with JSON Schema 2020-12 features', (args) => text(`Received: ${JSON.stringify(args)}`), {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
    properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' }, contactMethod: { type: 'string', enum: ['phone', 'email'] }, phone: { type: 'string' }, email: { type: 'string' } },
    allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
    if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
    then: { required: ['phone'] },
    else: { required: ['email'] },
    additionalProperties: false,
  });

  api.addResource({ uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain', read: () => ({ text: 'This is the content of the static text resource.' }) });
  api.addResource({ uri: 'test://static-binary', name: 'static-binary', description: 'A static binary resource (a PNG)', mimeType: 'image/png', read: () => ({ blob: PNG }) });
  let watched = 0;
  api.addResource({ uri: 'test://watched-resource', name: 'watched-resource', description: 'A resource to subscribe to', mimeType: 'text/plain', read: () => ({ text: `version ${watched}` }) });
  tool('test_update_watched_resource', 'Changes test://watched-resource (subscribers are told)', () => {
    watched += 1;
    api.resourceUpdated('test://watched-resource');
    return text(`test://watched-resource is now version ${watched}`);
  });
  api.addResourceTemplate({
    uriTemplate: 'test://template/{id}/data',
    name: 'template-data',
    description: 'Data for an id',
    mimeType: 'application/json',
    read: (_uri, { id }) => ({ text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }),
    complete: { id: (value) => ['123', '456', '789'].filter((id) => id.startsWith(value)) },
  });

  api.addPrompt({ name: 'test_simple_prompt', description: 'A prompt without arguments', get: () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] }) });
  api.addPrompt({
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true, complete: (value) => ['paris', 'park', 'party'].filter((word) => word.startsWith(value)) },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
    get: ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  });
  api.addPrompt({
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    get: ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri!, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  });
  api.addPrompt({
    name: 'test_prompt_with_image',
    description: 'A prompt with an image',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  });

  revision2026(api, tool);
}

/**
 * The fixtures of the 2026-07-28 scenarios (multi round-trip input, a capability the client must declare, log
 * messages only at a requested level), written once with `ask`/`elicit`: the same tools answer a 2025 session by
 * asking on its stream.
 */
function revision2026(api: PluginApi, tool: (name: string, description: string, handler: (args: Record<string, unknown>, context: ToolContext) => ToolResult | Promise<ToolResult>) => void): void {
  const nameQuestion = { method: 'elicitation/create', params: { message: 'What is your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } } as const;
  const contentOf = (answer: unknown) => ((answer as { content?: Record<string, unknown> } | undefined)?.content ?? {});

  tool('test_input_required_result_elicitation', 'Asks the user for their name, then greets them', async (_args, context) => {
    const { user_name } = await context.ask({ user_name: nameQuestion });
    return text(`Hello, ${String(contentOf(user_name).name ?? 'whoever you are')}!`);
  });
  tool('test_input_required_result_sampling', "Asks the client's model a question", async (_args, context) => {
    const answer = await context.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }], maxTokens: 100 }, { key: 'capital_question' });
    return text(`The model said: ${answer?.content.type === 'text' ? (answer.content as { text: string }).text : 'nothing (this client cannot sample)'}`);
  });
  tool('test_input_required_result_list_roots', "Asks for the client's roots", async (_args, context) => {
    const roots = await context.roots({ key: 'client_roots' });
    return text(`Roots: ${roots ? roots.map((root) => root.uri).join(', ') : 'none (this client has no roots)'}`);
  });
  tool('test_input_required_result_request_state', 'Asks for a confirmation; the answer comes back with the sealed request state', async (_args, context) => {
    const answer = await context.elicit('Please confirm', { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }, { key: 'confirm' });
    // the confirmation was asked in the round before this one: it can only be here because the sealed state came back intact
    return text(`state-ok: confirmed=${String(answer?.content?.ok)}`);
  });
  tool('test_input_required_result_multiple_inputs', 'Asks three things at once', async (_args, context) => {
    const answers = await context.ask({
      user_name: nameQuestion,
      greeting: { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 } },
      client_roots: { method: 'roots/list', params: {} },
    });
    return text(`Got ${Object.keys(answers).sort().join(', ')}`);
  });
  tool('test_input_required_result_multi_round', 'Asks for a name, then for a colour', async (_args, context) => {
    const name = await context.elicit('Step 1: What is your name?', { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }, { key: 'step1' });
    const color = await context.elicit('Step 2: What is your favorite color?', { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] }, { key: 'step2' });
    return text(`${String(name?.content?.name)} likes ${String(color?.content?.color)}`);
  });
  tool('test_input_required_result_tampered_state', 'Asks for a confirmation (its request state is sealed: a changed one is refused)', async (_args, context) => {
    const answer = await context.elicit('Please confirm', { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }, { key: 'confirm' });
    return text(`confirmed=${String(answer?.content?.ok)}`);
  });
  tool('test_input_required_result_capabilities', 'Asks only what the client declared it can answer', async (_args, context) => {
    const answers = await context.ask({
      user_name: nameQuestion,
      greeting: { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 } },
    });
    return text(`Answered: ${Object.keys(answers).sort().join(', ') || 'nothing'}`);
  });
  tool('test_missing_capability', "Needs the client's model: without sampling it cannot run", async (_args, context) => {
    const answer = await context.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }], maxTokens: 20 }, { required: true });
    return text(`The model said: ${JSON.stringify(answer?.content)}`);
  });
  tool('test_streaming_elicitation', 'Asks the user while reporting progress', async (_args, context) => {
    await context.progress(0, 1, 'about to ask');
    const answer = await context.elicit('Continue?', { type: 'object', properties: { go: { type: 'boolean' } } });
    return text(`answered: ${answer?.action ?? 'no'}`);
  });
  api.addTool({
    name: 'test_custom_headers',
    description: 'Echoes a region that also travels in the Mcp-Param-Region header (x-mcp-header)',
    inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] },
    handler: (args) => text(`region: ${String(args.region)}`),
  });
  tool('test_logging_tool', 'Logs at info three times', async (_args, context) => {
    for (const step of ['started', 'working', 'done']) await context.log('info', `test_logging_tool ${step}`);
    return text('logged');
  });
  api.addPrompt({
    name: 'test_input_required_result_prompt',
    description: 'A prompt that asks the user for its context first',
    get: async (_args, context) => {
      const answer = await context.elicit('What context should the prompt use?', { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] }, { key: 'user_context' });
      return { messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${String(answer?.content?.context ?? 'none given')}` } }] };
    },
  });
}
