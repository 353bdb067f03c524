// What xp_cmdshell prints for the commands attackers try first on a SQL Server they took over: a
// Windows host where SQL Server runs as its virtual service account. Nothing is ever run.

export interface CmdshellHost {
  hostname: string;
  domain: string;
}

/** Most output lines returned for one command. */
export const MAX_OUTPUT_LINES = 64;

/** The lines xp_cmdshell would return (each a row; the real procedure ends with a NULL row). */
export function cmdshellOutput(command: string, host: CmdshellHost): (string | null)[] {
  const cmd = command.trim().replace(/^cmd(?:\.exe)?\s+\/c\s+/i, '').trim();
  const first = (cmd.split(/\s+/)[0] ?? '').toLowerCase().replace(/\.exe$/, '');
  const out = ((): (string | null)[] => {
    switch (first) {
      case '':
        return [];
      case 'whoami':
        return /\/priv/i.test(cmd)
          ? ['', 'PRIVILEGES INFORMATION', '----------------------', '', 'Privilege Name                Description                               State', '============================= ========================================= ========', 'SeAssignPrimaryTokenPrivilege Replace a process level token             Disabled', 'SeIncreaseQuotaPrivilege      Adjust memory quotas for a process        Disabled', 'SeChangeNotifyPrivilege       Bypass traverse checking                  Enabled', 'SeImpersonatePrivilege        Impersonate a client after authentication Enabled', 'SeCreateGlobalPrivilege       Create global objects                     Enabled']
          : ['nt service\\mssqlserver'];
      case 'hostname':
        return [host.hostname];
      case 'ver':
        return ['', 'Microsoft Windows [Version 10.0.17763.5329]'];
      case 'echo':
        return [cmd.slice(4).trim()];
      case 'cd':
        return ['C:\\Windows\\system32'];
      case 'ipconfig':
        return ['', 'Windows IP Configuration', '', '', 'Ethernet adapter Ethernet0:', '', '   Connection-specific DNS Suffix  . : ' + host.domain, '   IPv4 Address. . . . . . . . . . . : 10.20.4.17', '   Subnet Mask . . . . . . . . . . . : 255.255.255.0', '   Default Gateway . . . . . . . . . : 10.20.4.1'];
      case 'systeminfo':
        return ['', `Host Name:                 ${host.hostname.toUpperCase()}`, 'OS Name:                   Microsoft Windows Server 2019 Standard', 'OS Version:                10.0.17763 N/A Build 17763', 'System Type:               x64-based PC', `Domain:                    ${host.domain}`];
      case 'net':
        if (/^net\s+user\s*$/i.test(cmd)) return ['', `User accounts for \\\\${host.hostname.toUpperCase()}`, '', '-------------------------------------------------------------------------------', 'Administrator            DefaultAccount           Guest', 'sqladmin                 WDAGUtilityAccount', 'The command completed successfully.', ''];
        return ['The command completed successfully.', ''];
      case 'dir':
        return [' Volume in drive C has no label.', ' Volume Serial Number is 5A1C-93E0', '', ' Directory of C:\\Windows\\system32', '', '11/14/2023  03:12 AM    <DIR>          .', '11/14/2023  03:12 AM    <DIR>          ..', '               0 File(s)              0 bytes', '               2 Dir(s)  41,263,845,376 bytes free'];
      case 'tasklist':
        return ['', 'Image Name                     PID Session Name        Session#    Mem Usage', '========================= ======== ================ =========== ============', 'System Idle Process              0 Services                   0          8 K', 'sqlservr.exe                  2412 Services                   0    412,220 K', 'cmd.exe                       5120 Services                   0      3,140 K'];
      case 'powershell':
      case 'pwsh':
      case 'certutil':
      case 'bitsadmin':
      case 'curl':
      case 'wget':
      case 'start':
      case 'del':
      case 'copy':
      case 'move':
      case 'mkdir':
      case 'md':
      case 'reg':
      case 'schtasks':
      case 'sc':
      case 'taskkill':
      case 'attrib':
      case 'cscript':
      case 'wscript':
      case 'rundll32':
      case 'regsvr32':
      case 'mshta':
      case 'ftp':
      case 'tftp':
        return [];
      default:
        return [`'${first}' is not recognized as an internal or external command,`, 'operable program or batch file.'];
    }
  })();
  return [...out.slice(0, MAX_OUTPUT_LINES), null];
}
