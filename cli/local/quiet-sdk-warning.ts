// The AWS SDK warns on Node.js 20 about versions it will publish after January 2027; the versions
// this package pins support Node.js 20, so the warning would only confuse. cli/bin.js does the
// same for the main thread; this module is imported first by each Analyze worker thread.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const first = rest[0] as string | { type?: string } | undefined;
  const type = typeof first === 'string' ? first : first?.type;
  if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;
export {};
