/**
 * `@gatehouse/example-chat`: the reference chat as a library, for programs that start it in-process
 * (`gatehouse demo`, `gatehouse replay --via chat`). The command line is `gatehouse-chat` (main.ts).
 */
export {
  createChatServer,
  parseAppLink,
  SESSION_COOKIE,
  type ChatAppLink,
  type ChatOptions,
  type ChatServer,
} from './app.ts';
