// Weak passwords that the default auth policy accepts for root and admin, so a dictionary attack
// succeeds the way it would on a careless server. Drawn from the top of public breach lists.
export const COMMON_PASSWORDS: readonly string[] = Object.freeze([
  '123456', '12345678', '123456789', '1234567890', '12345', '1234', '111111', '000000', '123123', '654321',
  'password', 'password1', 'Password', 'passw0rd', 'P@ssw0rd', 'admin', 'admin123', 'admin@123', 'administrator',
  'root', 'root123', 'toor', 'qwerty', 'qwerty123', 'abc123', '1q2w3e4r', '1qaz2wsx', 'letmein', 'welcome',
  'changeme', 'default', 'guest', 'test', 'test123', 'user', 'ubuntu', 'debian', 'centos', 'raspberry',
  'pi', 'oracle', 'master', 'secret', 'server', 'linux', 'iloveyou', 'monkey', 'dragon', 'football',
  'baseball', 'sunshine', 'princess', '666666', '888888', '112233', '121212', '1234qwer', 'qwe123', 'zxcvbnm',
]);
