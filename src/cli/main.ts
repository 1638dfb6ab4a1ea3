#!/usr/bin/env node
/** Entry point of the `native-rating` bin: usage errors exit 2 (see program.ts). */
import { runProgram } from './program.js';

await runProgram(process.argv);
