/* msgdoc.c — docs/messages.md as generated from the catalogue (msgcat.h); the unit test
 * test_su_msgcat fails when the file in docs/ differs and rewrites it with --write. */
#include <stdio.h>
#include <stdlib.h>

#include "su/msgcat.h"

static const char preamble[] =
    "# Messages of the SU's monitor system (VM2000 command processor)\n"
    "\n"
    "Generated from `src/su/msgcat.c` — do not edit by hand: change the catalogue and run\n"
    "`build/tests/unit/test_su_msgcat --write docs/messages.md` (the unit test fails while\n"
    "this file and the catalogue differ). `/HELP-MSG-INFORMATION MSG-IDENTIFICATION=VMSnnnn`\n"
    "prints the same entry on the monitor console.\n"
    "\n"
    "Console messages have the form `% VMSnnnn TEXT`; VMs appear as `(index,name)`, SUs as\n"
    "`'name'`, devices by their MN. In the texts below `(&00)`, `(&01)` ... are the inserts.\n"
    "Where the public VM2000 manuals give a message's text it is used; where they give only\n"
    "its number and meaning (shared/research/vm2000-facts.md §1.25) or nothing, the text is\n"
    "ours and marked *our text*.\n"
    "\n"
    "## Return codes\n"
    "\n"
    "Every command ends with a return code: main code, subcode 1, subcode 2 (vm2000-facts.md\n"
    "§1.1). Success is `CMD0001 0 0`; `CMD0001` with subcode 2 = 1 means \"nothing to do\", 2\n"
    "\"done with a warning\". A rejected command has the number of its first message as main\n"
    "code and subcode 1 = 64 (semantic error), except: syntax errors `CMD0202` with 1, the\n"
    "memory bottleneck `VMS4504` with 128, commands only for SU /390 on an SU x86 `VMS9004`\n"
    "with 64 (after message VMS3011), and a command the SU could not carry out (QEMU, guard or\n"
    "CRD failed: nothing of it applied) `VMS4050` with 32.\n"
    "\n"
    "## Decisions\n"
    "\n"
    "* **VM index `*ANY`**: the lowest index 2..99 that no VM definition of this SU uses\n"
    "  (initialized or not), chosen when the definition is created and kept with it. Index 1\n"
    "  is the monitor system. `/MODIFY-VM-DEFINITION VM-INDEX=*ANY` moves a definition to the\n"
    "  lowest free index only when that is lower than its own. The definition remembers the\n"
    "  `*ANY`: a live migration or `/MIGRATE-VM-DEFINITION` keeps the index when it is free\n"
    "  on the target, else takes the target's lowest free index (seed 4.1); a fixed index\n"
    "  must be free on the target (VMS4011).\n"
    "* **Memory**: an SU has `memory_mib` MiB for guests; every initialized VM (INIT-ONLY,\n"
    "  RUNNING, IN HOLD, DOWN) reserves its MEMORY-SIZE. A VM that does not fit is refused at\n"
    "  /CREATE-VM and /ACTIVATE-VM-DEFINITION with VMS4504 (the documented \"memory\n"
    "  bottleneck\" code, subcode 1 = 128). A definition may name more memory than is free.\n"
    "  The x86 minimum of 1024 MB is not enforced (the demo guest needs far less).\n"
    "* **Devices**: devices of a definition must be in the I/O configuration (VMS4001);\n"
    "  conflicts with other *initialized* VMs are checked when a VM is initialized or a device\n"
    "  added: a device assigned `*EXCLUSIVE` elsewhere is refused (VMS4003), an exclusive\n"
    "  request for a device shared elsewhere too (VMS4004); every conflict is reported.\n"
    "  `TYPE=*SD` / `USAGE=*SHARED` give shared use. The IPL unit of /START-VM must be a disk\n"
    "  assigned exclusively to the VM (VMS4030, VMS4031, VMS4033).\n"
    "* **Limits**: `max_vms` (32) counts initialized guests (VMS4016), `max_vm_definitions`\n"
    "  (98) all VM definitions of the SU (VMS2311).\n"
    "* **States**: /DELETE-VM of a non-persistent VM (CREATE-VM PERSISTENT=*NO, the default)\n"
    "  deletes its definition; a persistent one stays NOT INITIALIZED (DEFINED_ONLY). A guest\n"
    "  that shuts down leaves the VM DOWN (QEMU kept); a QEMU that ends without /DELETE-VM\n"
    "  makes it NOT INITIALIZED (VMS4022) or, when the guard fenced it, FENCED (VMS4023) until\n"
    "  /DELETE-VM. /SHUTDOWN-VM asks the guest by ACPI and stops it after 10 s (VMS3001).\n"
    "* **/RECOVER-VM-DEFINITION** `VM-NAME=..,SERVER-UNIT-NAME=*UNIQUE|name` on the surviving\n"
    "  SU takes over a definition of its failed partner (seed 5): only once the partner is\n"
    "  dead by the CRD's alive messages (VMS2344 before), or when the CRD cannot tell and the\n"
    "  operator confirmed it is down (`sectl vm recover --confirm-down`, else VMS2349);\n"
    "  VMS2340 done, VMS2348 in doubt (the write took longer than io_timeout).\n"
    "* **Not yet available**: /SHUTDOWN-VM VM-ID=*VM2000 answers VMS9010.\n"
    "* **/SHOW-JV** `JV-NAME=` the MONJV name given at /CREATE-VM or /ACTIVATE-VM-DEFINITION\n"
    "  (or a VM name) prints the MONJV of vm2000-facts.md §4.1 as one line `%<bytes 1..n>`\n"
    "  (trailing blanks cut); byte 4 is the character `0`, bytes 9–12 the first four\n"
    "  characters of the host name, 18–20 the session number. The MONJV name given at\n"
    "  /MIGRATE-VM prints the MONJV of that live migration (layout in src/su/monjv.h and\n"
    "  docs/lm.md \"MONJV\").\n"
    "* **/SHOW-SYSTEM-INFORMATION** `VM-ID=` (the BS2000 command, offered by the monitor for\n"
    "  a VM; `*CURRENT` = the monitor) shows the lines of seed 4.5 that the SU knows:\n"
    "  CONFIGURATION (host name of the SU of the IPL, or of this SU), CURRENT-CONFIGURATION\n"
    "  (this SU), MEMORY-SIZE, IPL-TIME (UTC), VM-INDEX, VM-NAME, LIVE-MIG-COUNT and the\n"
    "  monitor's HOST-NAME. After a live migration `SERVER-UNIT=*STD` adds NSI6231 (IPL host\n"
    "  data, the default) or NSI6232 (current host data) by the SU's MIGHOST setting\n"
    "  (`mighost`, docs/decisions.md); `*IPL` and `*CURRENT` choose without a message. An IPL\n"
    "  (/START-VM) or a new initialization (/CREATE-VM, /ACTIVATE-VM-DEFINITION) sets the IPL\n"
    "  data and LIVE-MIG-COUNT 0; a live migration keeps them and counts + 1.\n"
    "  **/SHOW-LIVE-MIGRATION-HISTORY** `VM-ID=` lists row 0 (the IPL) and the last 8 live\n"
    "  migrations: LM-COUNT, date and time (UTC), the SU (host name), the VM index there.\n"
    "* **SHOW output** (/SHOW-VM-DEFINITION, /SHOW-VM-RESOURCES, /SHOW-VM-ATTRIBUTES) is a\n"
    "  table of our own layout, one line per VM plus detail lines for INFORMATION=*UNITS,\n"
    "  *IPL, *ALL; `*BY-VM-GROUP` and `*BY-CPU-POOL` select all VMs.\n"
    "\n"
    "## Catalogue\n";

char *su_msg_doc_markdown(void)
{
	size_t n = 0, len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	const struct su_msgdef *d = su_msg_all(&n);

	if (!f)
		return NULL;
	fputs(preamble, f);
	for (size_t i = 0; i < n; i++) {
		char text[512];
		su_msg_inserts(d[i].text, text, sizeof(text));
		fprintf(f, "\n### %s%s\n\n`%s`\n\n*Meaning:* %s\n\n*Response:* %s\n", d[i].id,
			d[i].ours ? " (our text)" : "", text, d[i].meaning, d[i].response);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
