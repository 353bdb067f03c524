// Where the real honeypot logs live (../shared/data beside the clone; never copied into the project).
import { resolve } from 'node:path';

export const DATA = resolve(process.env.APIARY_TEST_DATA ?? '../shared/data');
