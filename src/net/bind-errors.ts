/** Core's BindListenPort error text for a listening socket that could not be bound (Linux wording). */
import { constants as osConstants } from 'node:os';

/** Core's CLIENT_NAME where it names itself in these messages (the net layer cannot import node/). */
const CLIENT_NAME = 'chainsnap';

const SYSTEM_ERRORS: Record<string, string> = {
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  EAFNOSUPPORT: 'Address family not supported by protocol',
};

/** Core's NetworkErrorString: the system's text and the error number. */
function networkErrorString(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '';
  const errno = (osConstants.errno as Record<string, number>)[code] ?? Math.abs(e.errno ?? 0);
  return `${SYSTEM_ERRORS[code] ?? code} (${errno})`;
}

/** The message for `where` ("host:port", IPv6 in brackets): in use means another node holds the port. */
export function bindFailure(where: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'EADDRINUSE') return `Unable to bind to ${where} on this computer. ${CLIENT_NAME} is probably already running.`;
  return `Unable to bind to ${where} on this computer (bind returned error ${networkErrorString(e)})`;
}
