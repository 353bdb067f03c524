// What kind of virtual machine the fake host is, as its firmware tables (SMBIOS/DMI) say: a plain
// QEMU/KVM guest (libvirt's 52:54:00 MAC) or an OpenStack Nova instance (fa:16:3e), both on i440FX
// with SeaBIOS. /sys/class/dmi/id, dmidecode, dmesg and systemd-detect-virt read it from here.
// QEMU builds no baseboard (type 2) table unless told to, so there are no board_* files.
import { SeededRandom, type SystemProfile } from './profile.js';

export interface MachineDmi {
  kind: 'qemu' | 'openstack';
  biosVendor: string;
  biosVersion: string;
  biosDate: string;
  sysVendor: string;
  productName: string;
  productVersion: string;
  /** Empty when the table leaves it unset ("Not Specified"). */
  productSerial: string;
  productUuid: string;
  productFamily: string;
  chassisVendor: string;
  chassisVersion: string;
  smbiosVersion: string;
}

function uuid(rng: SeededRandom): string {
  const h = rng.hex(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function machineDmi(p: SystemProfile): MachineDmi {
  const rng = new SeededRandom(`dmi:${p.seed}`);
  const id = uuid(rng);
  if (p.net.mac.startsWith('fa:16:3e')) {
    // Nova's libvirt driver fills the system table; the rest is the compute host's QEMU (Ubuntu 22.04's 6.2).
    const machine = 'pc-i440fx-6.2';
    return { kind: 'openstack', biosVendor: 'SeaBIOS', biosVersion: '1.15.0-1', biosDate: '04/01/2014', sysVendor: 'OpenStack Foundation', productName: 'OpenStack Nova', productVersion: '25.2.1', productSerial: uuid(rng), productUuid: id, productFamily: 'Virtual Machine', chassisVendor: 'QEMU', chassisVersion: machine, smbiosVersion: '2.8' };
  }
  const machine = 'pc-i440fx-7.2';
  return { kind: 'qemu', biosVendor: 'SeaBIOS', biosVersion: '1.16.2-debian-1.16.2-1', biosDate: '04/01/2014', sysVendor: 'QEMU', productName: 'Standard PC (i440FX + PIIX, 1996)', productVersion: machine, productSerial: '', productUuid: id, productFamily: '', chassisVendor: 'QEMU', chassisVersion: machine, smbiosVersion: '2.8' };
}

/** The files of /sys/devices/virtual/dmi/id (/sys/class/dmi/id) with their modes: the serial and UUID are root's. */
export function dmiIdFiles(m: MachineDmi): [string, string, number][] {
  const files: [string, string, number][] = [
    ['bios_date', m.biosDate, 0o444],
    ['bios_release', '0.0', 0o444],
    ['bios_vendor', m.biosVendor, 0o444],
    ['bios_version', m.biosVersion, 0o444],
    ['chassis_asset_tag', '', 0o444],
    ['chassis_serial', '', 0o400],
    ['chassis_type', '1', 0o444],
    ['chassis_vendor', m.chassisVendor, 0o444],
    ['chassis_version', m.chassisVersion, 0o444],
    ['product_name', m.productName, 0o444],
    ['product_serial', m.productSerial, 0o400],
    ['product_uuid', m.productUuid, 0o400],
    ['product_version', m.productVersion, 0o444],
    ['sys_vendor', m.sysVendor, 0o444],
  ];
  if (m.productFamily) files.push(['product_family', m.productFamily, 0o444]);
  const mod = `dmi:bvn${m.biosVendor}:bvr${m.biosVersion}:bd${m.biosDate}:br0.0:svn${m.sysVendor}:pn${m.productName}:pvr${m.productVersion}:cvn${m.chassisVendor}:ct1:cvr${m.chassisVersion}:`.replace(/ /g, '');
  files.push(['modalias', mod, 0o444]);
  return files;
}
