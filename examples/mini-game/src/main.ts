import { startMiniGame } from './app.ts';

/**
 * `npx gatehouse-mini-game --gatehouse URL --client-id ID --client-secret SECRET [--port N]`
 * (or MINI_GAME_GATEHOUSE, MINI_GAME_CLIENT_ID, MINI_GAME_CLIENT_SECRET, MINI_GAME_PORT). Register the
 * game first: `npx gatehouse apps add --name "Mini Game" --name-zh 小游戏 --redirect http://127.0.0.1:PORT/cb
 * --scopes nickname,avatar,friend_count`.
 */
export async function main(argv: string[]): Promise<void> {
  const arg = (name: string, env: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : process.env[env];
  };
  const issuer = arg('gatehouse', 'MINI_GAME_GATEHOUSE');
  const clientId = arg('client-id', 'MINI_GAME_CLIENT_ID');
  const clientSecret = arg('client-secret', 'MINI_GAME_CLIENT_SECRET');
  if (!issuer || !clientId || !clientSecret)
    throw new Error('give --gatehouse URL --client-id ID --client-secret SECRET');
  const host = new URL(issuer).hostname;
  const game = await startMiniGame({
    issuer,
    clientId,
    clientSecret,
    port: Number(arg('port', 'MINI_GAME_PORT') ?? 3100),
    allowInsecure: ['127.0.0.1', 'localhost', '[::1]'].includes(host),
  });
  console.log(`mini game at ${game.url} (Sign in with Chat via ${issuer})`);
}
