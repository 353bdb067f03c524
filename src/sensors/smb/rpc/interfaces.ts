// The DCE/RPC interfaces the sensor accepts binds for, with operation names for the record.

export interface RpcInterface {
  name: string;
  uuid: string;
  version: number;
  /**
   * Opnums the interface defines on Windows Server 2008 (its IDL's count): a call past them gets
   * nca_s_op_rng_error, one within them that is not emulated is refused as access denied.
   */
  opCount: number;
  ops: Record<number, string>;
}

export const SRVSVC_UUID = '4b324fc8-1670-01d3-1278-5a47bf6ee188';

export const INTERFACES: readonly RpcInterface[] = [
  {
    name: 'srvsvc',
    uuid: SRVSVC_UUID,
    version: 3,
    opCount: 54,
    ops: {
      14: 'NetrShareAdd',
      15: 'NetrShareEnum',
      16: 'NetrShareGetInfo',
      21: 'NetrServerGetInfo',
      28: 'NetrRemoteTOD',
      31: 'NetprPathCanonicalize',
      32: 'NetprPathCompare',
      34: 'NetprNameCanonicalize',
    },
  },
  { name: 'wkssvc', uuid: '6bffd098-a112-3610-9833-46c3f87e345a', version: 1, opCount: 31, ops: { 0: 'NetrWkstaGetInfo', 2: 'NetrWkstaUserEnum', 27: 'NetrJoinDomain2' } },
  { name: 'browser', uuid: '6bffd098-a112-3610-9833-012892020162', version: 0, opCount: 12, ops: {} },
  {
    name: 'lsarpc',
    uuid: '12345778-1234-abcd-ef00-0123456789ab',
    version: 0,
    opCount: 82,
    ops: { 0: 'LsarClose', 6: 'LsarOpenPolicy', 7: 'LsarQueryInformationPolicy', 15: 'LsarLookupSids', 44: 'LsarOpenPolicy2', 45: 'LsarGetUserName', 46: 'LsarQueryInformationPolicy2', 57: 'LsarLookupSids2', 76: 'LsarLookupSids3' },
  },
  { name: 'samr', uuid: '12345778-1234-abcd-ef00-0123456789ac', version: 1, opCount: 68, ops: { 0: 'SamrConnect', 1: 'SamrCloseHandle', 5: 'SamrLookupDomainInSamServer', 6: 'SamrEnumerateDomainsInSamServer', 7: 'SamrOpenDomain', 13: 'SamrEnumerateUsersInDomain', 64: 'SamrConnect5' } },
  { name: 'netlogon', uuid: '12345678-1234-abcd-ef00-01234567cffb', version: 1, opCount: 49, ops: {} },
  { name: 'svcctl', uuid: '367abb81-9844-35f1-ad32-98f038001003', version: 2, opCount: 52, ops: { 12: 'RCreateServiceW', 15: 'ROpenSCManagerW', 16: 'ROpenServiceW', 19: 'RStartServiceW' } },
  { name: 'atsvc', uuid: '1ff70682-0a51-30e8-076d-740be8cee98b', version: 1, opCount: 4, ops: { 0: 'NetrJobAdd' } },
  { name: 'spoolss', uuid: '12345678-1234-abcd-ef00-0123456789ab', version: 1, opCount: 105, ops: {} },
  { name: 'winreg', uuid: '338cd001-2244-31f1-aaaa-900038001003', version: 1, opCount: 36, ops: {} },
  { name: 'dssetup', uuid: '3919286a-b10c-11d0-9ba8-00c04fd92ef5', version: 0, opCount: 11, ops: { 9: 'DsRolerUpgradeDownlevelServer' } },
  { name: 'epmapper', uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', version: 3, opCount: 7, ops: { 2: 'ept_lookup', 3: 'ept_map' } },
  { name: 'IRemoteActivation', uuid: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', version: 0, opCount: 1, ops: { 0: 'RemoteActivation' } },
  { name: 'ISystemActivator', uuid: '000001a0-0000-0000-c000-000000000046', version: 0, opCount: 6, ops: { 3: 'RemoteCreateInstance', 4: 'RemoteGetClassObject' } },
];

/** Looks an interface up by UUID (and major version when several share a UUID, as lsarpc and spoolss do). */
export function findInterface(uuid: string, version?: number): RpcInterface | undefined {
  const all = INTERFACES.filter((i) => i.uuid === uuid);
  return all.find((i) => version === undefined || i.version === version) ?? all[0];
}

/** Named pipes that can be opened on IPC$ (lower case, without "\PIPE\"). */
export const PIPE_NAMES: ReadonlySet<string> = new Set(['srvsvc', 'browser', 'wkssvc', 'lsarpc', 'lsass', 'samr', 'netlogon', 'svcctl', 'atsvc', 'spoolss', 'winreg', 'epmapper', 'ntsvcs']);
