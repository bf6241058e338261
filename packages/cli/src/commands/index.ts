/** The commands of `polybot`, in the order `--help` lists them. A new command: its module here. */
import type { Command } from 'commander';
import { registerBot } from './bot.js';
import type { Io } from './common.js';
import { registerConfig } from './config.js';
import { registerHistory } from './history.js';
import { registerResearch } from './research.js';
import { registerStack } from './stack.js';

export const COMMANDS: Array<(program: Command, io: Io) => void> = [registerStack, registerBot, registerHistory, registerConfig, registerResearch];
