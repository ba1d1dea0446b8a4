// Host and invocation logs: one line each, with the function name and invocation id, as Core Tools prints.
import type { LogLevel } from './types';

export interface LogLine {
  time: Date;
  level: LogLevel;
  category: string;
  functionName?: string;
  invocationId?: string;
  message: string;
}

export type LogSink = (line: LogLine) => void;

const LEVEL_RANK: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
};

export function consoleSink(minLevel: LogLevel = 'information'): LogSink {
  return (line) => {
    if (LEVEL_RANK[line.level] < LEVEL_RANK[minLevel]) return;
    const where = line.functionName
      ? ` [${line.functionName}${line.invocationId ? ` ${line.invocationId}` : ''}]`
      : '';
    const text = `${line.time.toISOString()} ${line.level.padEnd(11)}${where} ${line.message}`;
    if (LEVEL_RANK[line.level] >= LEVEL_RANK.warning) console.error(text);
    else console.log(text);
  };
}
