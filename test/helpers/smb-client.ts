// The SMB1 client the tests and benchmark use lives with `apiary simulate`, which plays exploits with it.
export * from '../../src/cli/simulate/smb-client.js';
