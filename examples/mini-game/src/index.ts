export { startMiniGame, type MiniGame, type MiniGameOptions } from './app.ts';
