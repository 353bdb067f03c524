// Containment: sensor code never starts processes, evaluates code, or reaches the store (checked
// over the source, so a new import fails the build's tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sourceFiles } from '../helpers/source-files.js';


test('no sensor module imports child_process, vm, worker_threads or store/analysis code, or calls eval / new Function', () => {
  const files = sourceFiles('src/sensors');
  assert.ok(files.length > 20, 'the sensor sources are there');
  const forbiddenImport = /from\s+['"](?:node:)?(child_process|vm|worker_threads|cluster)['"]|require\(\s*['"](?:node:)?(child_process|vm)['"]|import\(\s*['"](?:node:)?(child_process|vm)['"]/;
  const layerImport = /from\s+['"](\.\.\/)+(store|analysis|collector|web|cli)\//;
  const dynamicCode = /(^|[^.\w$])eval\s*\(|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]/;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, forbiddenImport, `${f} imports a process or code-execution module`);
    assert.doesNotMatch(text, layerImport, `${f} imports a layer sensors may not use`);
    const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    assert.doesNotMatch(code, dynamicCode, `${f} evaluates code at run time`);
  }
});
