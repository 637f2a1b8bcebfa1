// Runs in every test file's worker (vitest setupFiles). Workers end without an
// 'exit' event, so what helpers.ts made for the file is removed here.
import { afterAll } from 'vitest';
import { removePublicCopy } from './helpers';

afterAll(() => removePublicCopy());
