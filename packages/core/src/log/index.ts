export { AsyncLineWriter } from './writer.js';
export { formatLine, safeFields, type LogFormat } from './format.js';
export { accessLog } from './access-log.js';
