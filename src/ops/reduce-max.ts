// PLACEHOLDER: ReduceMax is being written. Replace this file whole.
import { placeholder } from './placeholder.js';
export const def = placeholder('ReduceMax');
