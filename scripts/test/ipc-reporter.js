// The reporter of a worker (scripts/test/worker.js): every test event goes to the parent over IPC, errors
// made plain (an Error does not survive the channel with its cause and fields).
import { inspect } from 'node:util';
import { hub } from './hub.js';

const plain = (v, depth = 0) => {
  if (v instanceof Error && depth < 5) {
    const out = { __error: true, name: v.name, message: v.message, stack: v.stack, props: {} };
    for (const k of Object.keys(v)) {
      const x = v[k];
      out.props[k] = x instanceof Error ? plain(x, depth + 1) : clonable(x);
    }
    if (v.cause !== undefined && !('cause' in out.props)) out.props.cause = plain(v.cause, depth + 1);
    return out;
  }
  return clonable(v);
};
const clonable = (v) => {
  try {
    return structuredClone(v);
  } catch {
    return { __inspected: inspect(v, { depth: 4 }) };
  }
};

// a reporter is an async generator of output; this one writes nothing, it only forwards
// eslint-disable-next-line require-yield
export default async function* ipcReporter(source) {
  for await (const ev of source) {
    const data = { ...ev.data };
    if (data.details?.error) data.details = { ...data.details, error: plain(data.details.error) };
    process.send({ type: 'event', event: { type: ev.type, data } });
    if ((ev.type === 'test:pass' || ev.type === 'test:fail') && data.nesting === 0) hub.emit('file-end');
  }
}
