#!/usr/bin/env node
/** Entry point of the `native-rating` bin. */
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
