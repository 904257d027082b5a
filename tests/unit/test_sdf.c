/* test_sdf.c — the SDF command parser (src/sdf/sdf.h) with the VM2000 syntax table
 * (src/su/syntax.c): a table of command lines with the expected tree in canonical form
 * (sdf_cmd_format) or the expected error position and message; then the abbreviation rule,
 * the tree accessors, the limits (nesting, list, tree size, input length), and a sweep of
 * every prefix of every table line (never a crash, every error inside the input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdf/sdf_priv.h"
#include "su/syntax.h"

struct tcase {
	const char *in;
	const char *out; /* canonical tree, or NULL: an error at pos with msg */
	size_t pos;
	const char *msg;
};

static const struct tcase cases[] = {
	{"/CREATE-VM-DEFINITION VM-NAME=VM1,VM-INDEX=*ANY,MEMORY-SIZE=2048",
	 "CREATE-VM-DEFINITION VM-NAME=VM1 VM-INDEX=*ANY "
	 "MEMORY-SIZE=2048([DIMENSION=*MEGABYTE]) [PROCESSOR=*MONO] [CPU-QUOTA=*STD] "
	 "[CPU-POOL-NAME=*STDPOOL] [VM-GROUP-NAME=*NONE] [DEVICES=*NONE]", 0, NULL},
	{"CREATE-VM-DEFINITION VM-NAME=VM1,MEMORY-SIZE=2048",
	 "CREATE-VM-DEFINITION VM-NAME=VM1 [VM-INDEX=*ANY] "
	 "MEMORY-SIZE=2048([DIMENSION=*MEGABYTE]) [PROCESSOR=*MONO] [CPU-QUOTA=*STD] "
	 "[CPU-POOL-NAME=*STDPOOL] [VM-GROUP-NAME=*NONE] [DEVICES=*NONE]", 0, NULL},
	{"/create-vm-definition vm-name=vm1,memory-size=2048",
	 "CREATE-VM-DEFINITION VM-NAME=VM1 [VM-INDEX=*ANY] "
	 "MEMORY-SIZE=2048([DIMENSION=*MEGABYTE]) [PROCESSOR=*MONO] [CPU-QUOTA=*STD] "
	 "[CPU-POOL-NAME=*STDPOOL] [VM-GROUP-NAME=*NONE] [DEVICES=*NONE]", 0, NULL},
	{"/CRE-VM-DEF VM1,5,2(DIM=*GIGA)",
	 "CREATE-VM-DEFINITION VM-NAME=VM1 VM-INDEX=5 MEMORY-SIZE=2(DIMENSION=*GIGABYTE) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] [DEVICES=*NONE]", 0, NULL},
	{"/CREATE-VM "
	 "VM-NAME=G1,MEM=1024(DIMENSION=*MEGABYTE),PROC=*MULTI(CPU-NUMBER=2),PERS=*YES,MONJV=JV.G1",
	 "CREATE-VM VM-NAME=G1 [VM-INDEX=*ANY] MEMORY-SIZE=1024(DIMENSION=*MEGABYTE) "
	 "PROCESSOR=*MULTI(CPU-NUMBER=2) [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] [DEVICES=*NONE] PERSISTENT=*YES MONJV=JV.G1 "
	 "[JV-PASSWORD=*NONE]", 0, NULL},
	{"/CREATE-VM VM-NAME=G2,MEMORY-SIZE=1,VM-INDEX=ANY",
	 "CREATE-VM VM-NAME=G2 VM-INDEX=*ANY MEMORY-SIZE=1([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] [DEVICES=*NONE] [PERSISTENT=*NO] [MONJV=*NONE] "
	 "[JV-PASSWORD=*NONE]", 0, NULL},
	{"/CREATE-VM VM-NAME=G2,MEMORY-SIZE=1,CPU-POOL-NAME=STDPOOL",
	 "CREATE-VM VM-NAME=G2 [VM-INDEX=*ANY] MEMORY-SIZE=1([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] CPU-POOL-NAME=STDPOOL [VM-GROUP-NAME=*NONE] "
	 "[DEVICES=*NONE] [PERSISTENT=*NO] [MONJV=*NONE] [JV-PASSWORD=*NONE]", 0, NULL},
	{"/CREATE-VM VM-NAME=G2,MEMORY-SIZE=1,CPU-POOL-NAME=*STDPOOL,VM-GROUP-NAME=GRP1",
	 "CREATE-VM VM-NAME=G2 [VM-INDEX=*ANY] MEMORY-SIZE=1([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] CPU-POOL-NAME=*STDPOOL VM-GROUP-NAME=GRP1 "
	 "[DEVICES=*NONE] [PERSISTENT=*NO] [MONJV=*NONE] [JV-PASSWORD=*NONE]", 0, NULL},
	{"/CREATE-VM "
	 "G3,MEM=512,DEVICES=*PARAMETERS(UNITS=(A000,A001,*DEVICE-RANGE(FROM=B000,TO=B007,USAGE=*SHARED)),USAGE=*EXCL)",
	 "CREATE-VM VM-NAME=G3 [VM-INDEX=*ANY] MEMORY-SIZE=512([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] "
	 "DEVICES=*PARAMETERS(UNITS=(A000,A001,*DEVICE-RANGE(FROM=B000,TO=B007,USAGE=*SHARED)),USAGE=*EXCLUSIVE) "
	 "[PERSISTENT=*NO] [MONJV=*NONE] [JV-PASSWORD=*NONE]", 0, NULL},
	{"/CREATE-VM G3,MEM=512,DEV=*PAR(UNITS=A0),JV-PASSWORD=C'pw'",
	 "CREATE-VM VM-NAME=G3 [VM-INDEX=*ANY] MEMORY-SIZE=512([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] DEVICES=*PARAMETERS(UNITS=A0,[USAGE=*EXCLUSIVE]) "
	 "[PERSISTENT=*NO] [MONJV=*NONE] JV-PASSWORD=C'pw'", 0, NULL},
	{"/CREATE-VM G3,MEM=512,JV-PASSWORD=X'0a1B'",
	 "CREATE-VM VM-NAME=G3 [VM-INDEX=*ANY] MEMORY-SIZE=512([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] [DEVICES=*NONE] [PERSISTENT=*NO] [MONJV=*NONE] "
	 "JV-PASSWORD=X'0A1B'", 0, NULL},
	{"/CREATE-VM G3,MEM=512,JV-PASSWORD=-2147483647",
	 "CREATE-VM VM-NAME=G3 [VM-INDEX=*ANY] MEMORY-SIZE=512([DIMENSION=*MEGABYTE]) "
	 "[PROCESSOR=*MONO] [CPU-QUOTA=*STD] [CPU-POOL-NAME=*STDPOOL] "
	 "[VM-GROUP-NAME=*NONE] [DEVICES=*NONE] [PERSISTENT=*NO] [MONJV=*NONE] "
	 "JV-PASSWORD=-2147483647", 0, NULL},
	{"/MODIFY-VM-DEFINITION "
	 "VM-NAME=VM1,DEVICES=*REMOVE(UNITS=*DEVICE-RANGE(FROM=B000,TO=B007))",
	 "MODIFY-VM-DEFINITION VM-NAME=VM1 [VM-INDEX=*UNCHANGED] [MEMORY-SIZE=*UNCHANGED] "
	 "[PROCESSOR=*UNCHANGED] [CPU-QUOTA=*UNCHANGED] [CPU-POOL-NAME=*UNCHANGED] "
	 "[VM-GROUP-NAME=*UNCHANGED] "
	 "DEVICES=*REMOVE(UNITS=*DEVICE-RANGE(FROM=B000,TO=B007)) [PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/MOD-VM-DEF "
	 "VM1,DEV=*ADD(UNITS=*DEVICE-RANGE(FROM=B100,TO=B107,USAGE=*EXCLUSIVE))",
	 "MODIFY-VM-DEFINITION VM-NAME=VM1 [VM-INDEX=*UNCHANGED] [MEMORY-SIZE=*UNCHANGED] "
	 "[PROCESSOR=*UNCHANGED] [CPU-QUOTA=*UNCHANGED] [CPU-POOL-NAME=*UNCHANGED] "
	 "[VM-GROUP-NAME=*UNCHANGED] "
	 "DEVICES=*ADD(UNITS=*DEVICE-RANGE(FROM=B100,TO=B107,USAGE=*EXCLUSIVE),[USAGE=*EXCLUSIVE]) "
	 "[PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/MOD-VM-DEF VM1,DEV=*ADD(UNITS=*DEV-R(B100,B107,*SH))",
	 "MODIFY-VM-DEFINITION VM-NAME=VM1 [VM-INDEX=*UNCHANGED] [MEMORY-SIZE=*UNCHANGED] "
	 "[PROCESSOR=*UNCHANGED] [CPU-QUOTA=*UNCHANGED] [CPU-POOL-NAME=*UNCHANGED] "
	 "[VM-GROUP-NAME=*UNCHANGED] "
	 "DEVICES=*ADD(UNITS=*DEVICE-RANGE(FROM=B100,TO=B107,USAGE=*SHARED),[USAGE=*EXCLUSIVE]) "
	 "[PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/MOD-VM-DEF VM1,VM-INDEX=7,MEM=*UNCH,PERS=*NO",
	 "MODIFY-VM-DEFINITION VM-NAME=VM1 VM-INDEX=7 MEMORY-SIZE=*UNCHANGED "
	 "[PROCESSOR=*UNCHANGED] [CPU-QUOTA=*UNCHANGED] [CPU-POOL-NAME=*UNCHANGED] "
	 "[VM-GROUP-NAME=*UNCHANGED] [DEVICES=*UNCHANGED] PERSISTENT=*NO", 0, NULL},
	{"/ACTIVATE-VM-DEFINITION VM-NAME=VM1",
	 "ACTIVATE-VM-DEFINITION VM-NAME=VM1 [MONJV=*NONE] [JV-PASSWORD=*NONE]", 0, NULL},
	{"/ACT-VM-DEF VM1,MONJV=:2OSH:$ADMIN.MON.VM1",
	 "ACTIVATE-VM-DEFINITION VM-NAME=VM1 MONJV=:2OSH:$ADMIN.MON.VM1 "
	 "[JV-PASSWORD=*NONE]", 0, NULL},
	{"/DELETE-VM-DEFINITION VM1",
	 "DELETE-VM-DEFINITION VM-NAME=VM1", 0, NULL},
	{"/SHOW-VM-DEFINITION VM-NAME=VM1,INFORMATION=*UNITS",
	 "SHOW-VM-DEFINITION VM-NAME=VM1 INFORMATION=*UNITS", 0, NULL},
	{"/SHOW-VM-DEF",
	 "SHOW-VM-DEFINITION [VM-NAME=*ALL] [INFORMATION=*STD]", 0, NULL},
	{"/SH-VM-DEF V*,INF=*P",
	 "SHOW-VM-DEFINITION VM-NAME=V* INFORMATION=*PRIVILEGES", 0, NULL},
	{"/START-VM IPL-UNIT=A000,VM-ID=VM1",
	 "START-VM IPL-UNIT=A000 [MAIN-CONSOLE=*STD] [HOLD=*NO] [DIAGNOSTIC-IPL=*NO] "
	 "[INFORMATION-BYTE=*FAST] [PARAMS=*NONE] [CLEAR-MEMORY=*NO] "
	 "[UNLOCK-SAVEAREA=*NO] VM-IDENTIFICATION=VM1 [CHECK-VM-STATE=*YES]", 0, NULL},
	{"/START-VM "
	 "A0,MAIN-CONSOLE=(C0,C1),HOLD=*YES,VM-IDENTIFICATION=2,CHECK-VM-STATE=*NO",
	 "START-VM IPL-UNIT=A0 MAIN-CONSOLE=(C0,C1) HOLD=*YES [DIAGNOSTIC-IPL=*NO] "
	 "[INFORMATION-BYTE=*FAST] [PARAMS=*NONE] [CLEAR-MEMORY=*NO] "
	 "[UNLOCK-SAVEAREA=*NO] VM-IDENTIFICATION=2 CHECK-VM-STATE=*NO", 0, NULL},
	{"/START-VM IPL-UNIT=A000,VM-IDENTIFICATION=+05",
	 "START-VM IPL-UNIT=A000 [MAIN-CONSOLE=*STD] [HOLD=*NO] [DIAGNOSTIC-IPL=*NO] "
	 "[INFORMATION-BYTE=*FAST] [PARAMS=*NONE] [CLEAR-MEMORY=*NO] "
	 "[UNLOCK-SAVEAREA=*NO] VM-IDENTIFICATION=5 [CHECK-VM-STATE=*YES]", 0, NULL},
	{"/START-VM IPL=A000 -\n   ,VM-ID=vm1",
	 "START-VM IPL-UNIT=A000 [MAIN-CONSOLE=*STD] [HOLD=*NO] [DIAGNOSTIC-IPL=*NO] "
	 "[INFORMATION-BYTE=*FAST] [PARAMS=*NONE] [CLEAR-MEMORY=*NO] "
	 "[UNLOCK-SAVEAREA=*NO] VM-IDENTIFICATION=VM1 [CHECK-VM-STATE=*YES]", 0, NULL},
	{"/START-VM IPL=A0-\n00,VM-ID=VM1\n",
	 "START-VM IPL-UNIT=A000 [MAIN-CONSOLE=*STD] [HOLD=*NO] [DIAGNOSTIC-IPL=*NO] "
	 "[INFORMATION-BYTE=*FAST] [PARAMS=*NONE] [CLEAR-MEMORY=*NO] "
	 "[UNLOCK-SAVEAREA=*NO] VM-IDENTIFICATION=VM1 [CHECK-VM-STATE=*YES]", 0, NULL},
	{"/SHUTDOWN-VM VM-ID=VM1",
	 "SHUTDOWN-VM VM-IDENTIFICATION=VM1", 0, NULL},
	{"/SHUTDOWN-VM *VM2000(ACTION=*SHUTDOWN(QUIET-TIME=5))",
	 "SHUTDOWN-VM "
	 "VM-IDENTIFICATION=*VM2000([WAITING-TIME=*UNLIMITED],ACTION=*SHUTDOWN(QUIET-TIME=5))", 0, NULL},
	{"/SHUTDOWN-VM *VM2000(10,*ENTER-JOB)",
	 "SHUTDOWN-VM VM-IDENTIFICATION=*VM2000(WAITING-TIME=10,ACTION=*ENTER-JOB)", 0, NULL},
	{"/SHUTDOWN-VM VM-GUESTS",
	 "SHUTDOWN-VM VM-IDENTIFICATION=*VM-GUESTS", 0, NULL},
	{"/DELETE-VM VM1,CHECK-VM-STATE=*NO",
	 "DELETE-VM VM-IDENTIFICATION=VM1 CHECK-VM-STATE=*NO", 0, NULL},
	{"/DELETE-VM",
	 "DELETE-VM [VM-IDENTIFICATION=*CURRENT] [CHECK-VM-STATE=*YES]", 0, NULL},
	{"/HOLD-VM *ALL",
	 "HOLD-VM VM-IDENTIFICATION=*ALL", 0, NULL},
	{"/RESUME-VM 3",
	 "RESUME-VM VM-IDENTIFICATION=3", 0, NULL},
	{"/ADD-VM-DEVICES UNITS=(A0,*DEVICE-RANGE(FROM=B000,TO=B007),C*),VM-ID=3",
	 "ADD-VM-DEVICES UNITS=(A0,*DEVICE-RANGE(FROM=B000,TO=B007),C*) "
	 "VM-IDENTIFICATION=3 [TYPE=*NONE]", 0, NULL},
	{"/ADD-VM-DEV *PUB(*BY-PUB(UNIT=A0)),VM1,*SD",
	 "ADD-VM-DEVICES UNITS=*PUBSET-DEVICES(PUBSET=*BY-PUBRES-DEVICE(UNIT=A0)) "
	 "VM-IDENTIFICATION=VM1 TYPE=*SD", 0, NULL},
	{"/ADD-VM-DEV *PUBSET-DEVICES(PUBSET=2OSH),VM1",
	 "ADD-VM-DEVICES UNITS=*PUBSET-DEVICES(PUBSET=2OSH) VM-IDENTIFICATION=VM1 "
	 "[TYPE=*NONE]", 0, NULL},
	{"/REM-VM-DEV *ALL(CHECK=*NO),VM1,FORCE=*NO(WAIT=*YES)",
	 "REMOVE-VM-DEVICES UNITS=*ALL(CHECK-VM-STATE=*NO) VM-IDENTIFICATION=VM1 "
	 "FORCE=*NO(WAIT-FOR-UNASSIGN=*YES)", 0, NULL},
	{"/REM-VM-DEV T0,VM-ID=VM1,FORCE=*YES",
	 "REMOVE-VM-DEVICES UNITS=T0 VM-IDENTIFICATION=VM1 FORCE=*YES", 0, NULL},
	{"/MODIFY-VM-ATTRIBUTES 3,CPU-QUOTA=1.5,MAX-CPU=100,PASSWORD=C'it''s'",
	 "MODIFY-VM-ATTRIBUTES VM-IDENTIFICATION=3 CPU-QUOTA=1.50 "
	 "MAX-CPU-UTILIZATION=100.00 [MAX-IO-UTILIZATION=*UNCHANGED] PASSWORD=C'it''s' "
	 "[ADMIN-PRIVILEGES=*UNCHANGED] [PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/MOD-VM-ATTR VM1,CPU-QUOTA=*BY-VM-GROUP(MEMBER-CPU-QUOTA=99.99),ADMIN-PRIV=*MAX",
	 "MODIFY-VM-ATTRIBUTES VM-IDENTIFICATION=VM1 "
	 "CPU-QUOTA=*BY-VM-GROUP(MEMBER-CPU-QUOTA=99.99) [MAX-CPU-UTILIZATION=*UNCHANGED] "
	 "[MAX-IO-UTILIZATION=*UNCHANGED] [PASSWORD=*UNCHANGED] ADMIN-PRIVILEGES=*MAXIMUM "
	 "[PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/MOD-VM-ATTR VM1,PASSWORD='a(B)=,'''",
	 "MODIFY-VM-ATTRIBUTES VM-IDENTIFICATION=VM1 [CPU-QUOTA=*UNCHANGED] "
	 "[MAX-CPU-UTILIZATION=*UNCHANGED] [MAX-IO-UTILIZATION=*UNCHANGED] "
	 "PASSWORD=C'a(B)=,''' [ADMIN-PRIVILEGES=*UNCHANGED] [PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/MOD-VM-ATTR VM1,MAX-CPU=100.00,CPU-QUOTA=.5",
	 "MODIFY-VM-ATTRIBUTES VM-IDENTIFICATION=VM1 CPU-QUOTA=0.50 "
	 "MAX-CPU-UTILIZATION=100.00 [MAX-IO-UTILIZATION=*UNCHANGED] "
	 "[PASSWORD=*UNCHANGED] [ADMIN-PRIVILEGES=*UNCHANGED] [PERSISTENT=*UNCHANGED]", 0, NULL},
	{"/SHOW-VM-RESOURCES",
	 "SHOW-VM-RESOURCES [INFORMATION=*STD] [UNITS=*ALL] [TYPE=*ANY]", 0, NULL},
	{"/SHOW-VM-RES INF=CONF,UNITS=(A*,T0),TYPE=SD",
	 "SHOW-VM-RESOURCES INFORMATION=*CONFIGURATION UNITS=(A*,T0) TYPE=*SD", 0, NULL},
	{"/SHOW-VM-ATTRIBUTES "
	 "INFORMATION=*ALL,VM-IDENTIFICATION=*BY-CPU-POOL(CPU-POOL-NAME=P1)",
	 "SHOW-VM-ATTRIBUTES INFORMATION=*ALL [TYPE=*ALL] "
	 "VM-IDENTIFICATION=*BY-CPU-POOL(CPU-POOL-NAME=P1)", 0, NULL},
	{"/SHOW-VM-ATTR VM-ID=*",
	 "SHOW-VM-ATTRIBUTES [INFORMATION=*STD] [TYPE=*ALL] VM-IDENTIFICATION=*", 0, NULL},
	{"/SHOW-VM-ATTR VM-ID=*BY-VM-GROUP(GRP1)",
	 "SHOW-VM-ATTRIBUTES [INFORMATION=*STD] [TYPE=*ALL] "
	 "VM-IDENTIFICATION=*BY-VM-GROUP(VM-GROUP-NAME=GRP1)", 0, NULL},
	{"/CHECK-VM-MIGRATION VM-IDENTIFICATION=VM1",
	 "CHECK-VM-MIGRATION VM-IDENTIFICATION=VM1 [SERVER-UNIT-NAME=*UNIQUE]", 0, NULL},
	{"/MIGRATE-VM VM-ID=4,SERVER-UNIT-NAME=su2.example-1,MONJV=LM.JV",
	 "MIGRATE-VM VM-IDENTIFICATION=4 SERVER-UNIT-NAME=SU2.EXAMPLE-1 MONJV=LM.JV "
	 "[JV-PASSWORD=*NONE]", 0, NULL},
	{"/MIGRATE-VM-DEFINITION VM1,*UNIQUE",
	 "MIGRATE-VM-DEFINITION VM-NAME=VM1 SERVER-UNIT-NAME=*UNIQUE", 0, NULL},
	{"/RECOVER-VM-DEFINITION VM-NAME=VM1,SERVER-UNIT-NAME=SU1",
	 "RECOVER-VM-DEFINITION VM-NAME=VM1 SERVER-UNIT-NAME=SU1", 0, NULL},
	{"/REC-VM-DEF VM1",
	 "RECOVER-VM-DEFINITION VM-NAME=VM1 [SERVER-UNIT-NAME=*UNIQUE]", 0, NULL},
	{"/SHOW-JV JV-NAME=MON.VM1",
	 "SHOW-JV JV-NAME=MON.VM1", 0, NULL},
	{"/SHOW-SYSTEM-INFORMATION VM-ID=VM1",
	 "SHOW-SYSTEM-INFORMATION VM-IDENTIFICATION=VM1", 0, NULL},
	{"/SHOW-LIVE-MIGRATION-HISTORY 4",
	 "SHOW-LIVE-MIGRATION-HISTORY VM-IDENTIFICATION=4", 0, NULL},
	{"/HELP-MSG-INFORMATION MSG-IDENTIFICATION=VMS2340",
	 "HELP-MSG-INFORMATION MSG-IDENTIFICATION=VMS2340 [INFORMATION-LEVEL=*MAXIMUM]", 0, NULL},
	{"/HELP-MSG VMS2340,INF-LEV=*MED",
	 "HELP-MSG-INFORMATION MSG-IDENTIFICATION=VMS2340 INFORMATION-LEVEL=*MEDIUM", 0, NULL},
	{"   /START-VM   IPL-UNIT = A000 , VM-ID = VM1   ",
	 "START-VM IPL-UNIT=A000 [MAIN-CONSOLE=*STD] [HOLD=*NO] [DIAGNOSTIC-IPL=*NO] "
	 "[INFORMATION-BYTE=*FAST] [PARAMS=*NONE] [CLEAR-MEMORY=*NO] "
	 "[UNLOCK-SAVEAREA=*NO] VM-IDENTIFICATION=VM1 [CHECK-VM-STATE=*YES]", 0, NULL},
	{"", NULL, 1,
	 "expected a command name; found the end of the input"},
	{"/", NULL, 2,
	 "expected a command name; found the end of the input"},
	{"   \n", NULL, 1,
	 "expected a command name; found the end of the input"},
	{",,,", NULL, 1,
	 "expected a command name; found ','"},
	{"/FOO-BAR X=1", NULL, 2,
	 "unknown command 'FOO-BAR'; expected one of CREATE-VM, CREATE-VM-DEFINITION, "
	 "MODIFY-VM-DEFINITION, ACTIVATE-VM-DEFINITION, DELETE-VM-DEFINITION, "
	 "SHOW-VM-DEFINITION, START-VM, SHUTDOWN-VM, DELETE-VM, HOLD-VM, RESUME-VM, "
	 "ADD-VM-DEVICES, ..."},
	{"/CRE-VM X", NULL, 2,
	 "ambiguous command name 'CRE-VM'; candidates: CREATE-VM, CREATE-VM-DEFINITION"},
	{"/MIG-VM VM1", NULL, 2,
	 "ambiguous command name 'MIG-VM'; candidates: MIGRATE-VM, MIGRATE-VM-DEFINITION"},
	{"/SHOW-VM", NULL, 2,
	 "ambiguous command name 'SHOW-VM'; candidates: SHOW-VM-DEFINITION, "
	 "SHOW-VM-RESOURCES, SHOW-VM-ATTRIBUTES"},
	{"/START-VM,X", NULL, 10,
	 "expected a blank between the command name and its operands; found ','"},
	{"/START-VM I=A0", NULL, 11,
	 "ambiguous operand name 'I' of /START-VM; candidates: IPL-UNIT, INFORMATION-BYTE"},
	{"/START-VM FOO=1", NULL, 11,
	 "unknown operand 'FOO' of /START-VM; expected one of IPL-UNIT, MAIN-CONSOLE, "
	 "HOLD, DIAGNOSTIC-IPL, INFORMATION-BYTE, PARAMS, CLEAR-MEMORY, UNLOCK-SAVEAREA, "
	 "VM-IDENTIFICATION, CHECK-VM-STATE"},
	{"/START-VM VM-ID=1,VM-ID=2", NULL, 19,
	 "operand VM-IDENTIFICATION given twice (first at position 11); expected each "
	 "operand at most once"},
	{"/START-VM VM-ID=1,VM-IDENTIFICATION=2", NULL, 19,
	 "operand VM-IDENTIFICATION given twice (first at position 11); expected each "
	 "operand at most once"},
	{"/START-VM VM-ID=100", NULL, 17,
	 "value '100' for VM-IDENTIFICATION out of range; expected <integer 1..99>"},
	{"/START-VM VM-ID=VERYLONGNAME", NULL, 17,
	 "value 'VERYLONGNAME' for VM-IDENTIFICATION too long; expected <name 1..8>"},
	{"/START-VM VM-ID=1VM", NULL, 17,
	 "unknown value '1VM' for VM-IDENTIFICATION; expected *CURRENT / <integer 1..99> "
	 "/ <name 1..8>"},
	{"/START-VM IPL-UNIT=ABC", NULL, 20,
	 "value 'ABC' for IPL-UNIT too long; expected <alphanum-name 2..2>"},
	{"/START-VM IPL=A000,MAIN-CONSOLE=(C0,C1,C2)", NULL, 40,
	 "list of MAIN-CONSOLE longer than 2 elements; expected ')'"},
	{"/START-VM IPL=A000,MAIN-CONSOLE=(*STD,C1)", NULL, 34,
	 "value '*STD' of MAIN-CONSOLE cannot be an element of a list; expected it alone"},
	{"/START-VM IPL=A000,MAIN-CONSOLE=()", NULL, 34,
	 "expected a value for MAIN-CONSOLE (*STD / <alphanum-name 2..2>); found ')'"},
	{"/START-VM IPL=A000,HOLD=*Y(X=1)", NULL, 27,
	 "value '*Y' of HOLD opens no structure; expected ',' instead of '('"},
	{"/START-VM IPL=(A000,A001)", NULL, 15,
	 "IPL-UNIT takes no list; expected one value: *STD / <alphanum-name 2..2> / "
	 "<x-text 4..4>"},
	{"/START-VM VM-ID=VM1,A000", NULL, 21,
	 "positional operand 'A000' after keyword operands; expected OPERAND=value"},
	{"/START-VM IPL=A000,\nVM-ID=vm1", NULL, 20,
	 "line ends without the continuation character '-'; expected '-' at the end of a "
	 "line that continues"},
	{"/START-VM IPL=A000,-", NULL, 20,
	 "input ends with the continuation character '-'; expected a continuation line"},
	{"/START-VM IPL=A000,,VM-ID=VM1", NULL, 20,
	 "expected an operand of /START-VM; found ','"},
	{"/START-VM IPL=A000,", NULL, 20,
	 "expected an operand of /START-VM; found the end of the input"},
	{"/START-VM IPL=A000)", NULL, 19,
	 "expected ',' or the end of the command after the value of IPL-UNIT; found ')'"},
	{"/START-VM =A000", NULL, 11,
	 "expected an operand of /START-VM; found '='"},
	{"/START-VM IPL=", NULL, 15,
	 "expected a value for IPL-UNIT (*STD / <alphanum-name 2..2> / <x-text 4..4>); "
	 "found the end of the input"},
	{"/START-VM IPL=A000 VM-ID=VM1", NULL, 20,
	 "expected ',' or the end of the command after the value of IPL-UNIT; found "
	 "'VM-ID'"},
	{"/START-VM HOLD=*MAYBE", NULL, 16,
	 "unknown value '*MAYBE' for HOLD; expected *NO / *YES"},
	{"/START-VM HOLD=*", NULL, 16,
	 "unknown value '*' for HOLD; expected *NO / *YES"},
	{"/START-VM HOLD=C'YES'", NULL, 16,
	 "unexpected string 'YES' for HOLD; expected *NO / *YES"},
	{"/CREATE-VM-DEFINITION VM-NAME=A", NULL, 32,
	 "required operand MEMORY-SIZE of /CREATE-VM-DEFINITION missing; expected "
	 "MEMORY-SIZE=<integer 1..1048576>"},
	{"/CREATE-VM-DEF MEM=1", NULL, 21,
	 "required operand VM-NAME of /CREATE-VM-DEFINITION missing; expected "
	 "VM-NAME=<name 1..8>"},
	{"/CRE-VM-DEF VM1,MEM=2(DIM=*GIGA", NULL, 32,
	 "expected ',' or ')' after the value of DIMENSION; found the end of the input"},
	{"/CRE-VM-DEF VM1,MEM=2(DIM=*TERA)", NULL, 27,
	 "unknown value '*TERA' for DIMENSION; expected *MEGABYTE / *GIGABYTE"},
	{"/CRE-VM-DEF VM1,MEM=0", NULL, 21,
	 "value '0' for MEMORY-SIZE out of range; expected <integer 1..1048576>"},
	{"/CRE-VM-DEF VM1,MEM=1048577", NULL, 21,
	 "value '1048577' for MEMORY-SIZE out of range; expected <integer 1..1048576>"},
	{"/CRE-VM-DEF VM1,MEM=99999999999999999999999", NULL, 21,
	 "value '99999999999999999999999' for MEMORY-SIZE out of range; expected <integer "
	 "1..1048576>"},
	{"/CRE-VM-DEF VM1,VM-INDEX=1,MEM=1", NULL, 26,
	 "value '1' for VM-INDEX out of range; expected <integer 2..99>"},
	{"/CRE-VM-DEF VM1,MEM=1,PROC=*MULTI", NULL, 34,
	 "required operand CPU-NUMBER of *MULTI missing; expected CPU-NUMBER=<integer "
	 "2..64>"},
	{"/CRE-VM-DEF VM1,MEM=1,PROC=*MULTI(CPU-NUMBER=1)", NULL, 46,
	 "value '1' for CPU-NUMBER out of range; expected <integer 2..64>"},
	{"/HOLD-VM 1,2", NULL, 12,
	 "too many positional operands: /HOLD-VM has 1; found '2'"},
	{"/HOLD-VM VM-ID=*CUR,3", NULL, 21,
	 "positional operand '3' after keyword operands; expected OPERAND=value"},
	{"/MOD-VM-ATTR 3,PASSWORD='abcdefghi'", NULL, 25,
	 "string of 9 characters for PASSWORD; expected <c-string 1..8>"},
	{"/MOD-VM-ATTR 3,PASSWORD=X'0AZ'", NULL, 25,
	 "non-hexadecimal character in string '0AZ' for PASSWORD; expected *UNCHANGED / "
	 "*NONE / <c-string 1..8> / <x-string 1..16>"},
	{"/MOD-VM-ATTR 3,PASSWORD='unterminated", NULL, 25,
	 "string not closed; expected a closing quote (') before the end of the input"},
	{"/MOD-VM-ATTR 3,CPU-QUOTA=1.555", NULL, 26,
	 "value '1.555' for CPU-QUOTA has too many digits; expected <fixed 0.01..99.99>"},
	{"/MOD-VM-ATTR 3,CPU-QUOTA=0.00", NULL, 26,
	 "value '0.00' for CPU-QUOTA out of range; expected <fixed 0.01..99.99>"},
	{"/MOD-VM-ATTR 3,CPU-QUOTA=1.2.3", NULL, 26,
	 "unknown value '1.2.3' for CPU-QUOTA; expected *UNCHANGED / <fixed 0.01..99.99> "
	 "/ *BY-VM-GROUP"},
	{"/SHOW-VM-ATTR VM-ID=*B", NULL, 21,
	 "ambiguous value '*B' for VM-IDENTIFICATION; candidates: *BY-VM-GROUP, "
	 "*BY-CPU-POOL"},
	{"/REM-VM-DEV (*ALL,A0),VM1", NULL, 14,
	 "value '*ALL' of UNITS cannot be an element of a list; expected it alone"},
	{"/ADD-VM-DEV UNITS=*DEVICE-RANGE(FROM=B000),VM-ID=3", NULL, 42,
	 "required operand TO of *DEVICE-RANGE missing; expected TO=<alphanum-name 2..2> "
	 "/ <x-text 4..4>"},
	{"/ADD-VM-DEV UNITS=*DEVICE-RANGE,VM-ID=3", NULL, 32,
	 "required operand FROM of *DEVICE-RANGE missing; expected FROM=<alphanum-name "
	 "2..2> / <x-text 4..4>"},
	{"/ADD-VM-DEV UNITS=A0,VM-ID=3,UNITS=A1", NULL, 30,
	 "operand UNITS given twice (first at position 13); expected each operand at most "
	 "once"},
	{"/ADD-VM-DEV VM-ID=3", NULL, 20,
	 "required operand UNITS of /ADD-VM-DEVICES missing; expected "
	 "UNITS=*PUBSET-DEVICES / *DEVICE-RANGE / <alphanum-name 1..4 with-wild(20)>"},
	{"/ADD-VM-DEV UNITS=ABCDE,VM-ID=3", NULL, 19,
	 "value 'ABCDE' for UNITS too long; expected <alphanum-name 1..4 with-wild(20)>"},
	{"/ADD-VM-DEV UNITS=A*BCDEFGHIJKLMNOPQRSTU,VM-ID=3", NULL, 19,
	 "value 'A*BCDEFGHIJKLMNOPQRSTU' for UNITS too long for a pattern; expected "
	 "<alphanum-name 1..4 with-wild(20)>"},
	{"/SHOW-JV JV-NAME=..X", NULL, 18,
	 "unknown value '..X' for JV-NAME; expected <filename 1..54>"},
	{"/MIGRATE-VM VM-ID=4,SERVER-UNIT-NAME=-SU2", NULL, 38,
	 "unknown value '-SU2' for SERVER-UNIT-NAME; expected *UNIQUE / <composed-name "
	 "1..64>"},
	{"/HELP-MSG VMS234", NULL, 11,
	 "value 'VMS234' for MSG-IDENTIFICATION too short; expected <alphanum-name 7..7>"},
	{"/START-VM VM-ID=V\xc3""\xa4""", NULL, 18,
	 "invalid character 0xc3 outside a string; expected A-Z, 0-9 or one of $#@*/:.-"},
	{"/START-VM VM-ID=VM1\x01""", NULL, 20,
	 "invalid character 0x01; expected printable text"},
	{"/SHOW-VM-RES "
	 "UNITS=(A0,A1,A2,A3,A4,A5,A6,A7,A8,A9,A10,A11,A12,A13,A14,A15,A16,A17,A18,A19,A20,A21,A22,A23,A24,A25,A26,A27,A28)", NULL, 123,
	 "list of UNITS longer than 28 elements; expected ')'"},
	{"/MODIFY-VM-DEFINITION "
	 "VM-NAME=VM1,DEVICES=*REMOVE(UNITS=*DEVICE-RANGE(FROM=B000,TO=B007)", NULL, 89,
	 "expected ',' or ')' after the value of UNITS; found the end of the input"},
};

static void test_table(void **state)
{
	char buf[4096];
	size_t ok = 0, bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		struct sdf_cmd *c = (struct sdf_cmd *)0x1;
		struct sdf_error e;
		int r = sdf_parse(su_syntax, su_syntax_n, t->in, &c, &e);

		print_message("case %zu: %s\n", i, t->in);
		if (t->out) {
			if (r != 0)
				print_message("  error at %zu: %s\n", e.pos, e.msg);
			assert_int_equal(r, 0);
			size_t n = sdf_cmd_format(c, buf, sizeof(buf));
			assert_true(n < sizeof(buf));
			assert_string_equal(buf, t->out);
			c = sdf_cmd_free(c);
			ok++;
		} else {
			assert_int_equal(r, -EINVAL);
			assert_ptr_equal(c, (struct sdf_cmd *)0x1); /* untouched */
			assert_string_equal(e.msg, t->msg);
			assert_int_equal(e.pos, t->pos);
			bad++;
		}
	}
	assert_true(ok >= 30 && bad >= 30);
}

/* Every prefix of every table line: parsed or refused with a position inside the input
 * (1 .. joined length + 1) and a message; nothing leaks (ASan build). */
static void test_prefixes(void **state)
{
	char buf[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		for (size_t k = 0; k <= len; k++) {
			struct sdf_cmd *c = NULL;
			struct sdf_error e;
			memcpy(buf, cases[i].in, k < sizeof(buf) - 1 ? k : sizeof(buf) - 1);
			buf[k < sizeof(buf) - 1 ? k : sizeof(buf) - 1] = '\0';
			int r = sdf_parse(su_syntax, su_syntax_n, buf, &c, &e);
			if (r == 0) {
				assert_non_null(c);
				c = sdf_cmd_free(c);
				continue;
			}
			assert_true(r == -EINVAL);
			assert_true(e.pos >= 1 && e.pos <= strlen(buf) + 1);
			assert_true(e.msg[0] != '\0');
			assert_null(strstr(e.msg, "internal"));
		}
	}
}

static void test_abbrev(void **state)
{
	assert_true(sdf_abbrev_of("CRE-VM-DEF", "CREATE-VM-DEFINITION"));
	assert_true(sdf_abbrev_of("CREATE-VM", "CREATE-VM-DEFINITION"));
	assert_true(sdf_abbrev_of("C", "CREATE-VM-DEFINITION"));
	assert_true(sdf_abbrev_of("MEM", "MEMORY-SIZE"));
	assert_true(sdf_abbrev_of("*EXCL", "*EXCLUSIVE"));
	assert_true(sdf_abbrev_of("VM-ID", "VM-IDENTIFICATION"));
	assert_false(sdf_abbrev_of("CREATE-VM-DEFINITIONS", "CREATE-VM-DEFINITION"));
	assert_false(sdf_abbrev_of("CRE--DEF", "CREATE-VM-DEFINITION"));
	assert_false(sdf_abbrev_of("CRE-DEF", "CREATE-VM-DEFINITION")); /* a middle part dropped */
	assert_false(sdf_abbrev_of("CREATE-VM-", "CREATE-VM-DEFINITION"));
	assert_false(sdf_abbrev_of("VM-ID-X", "VM-IDENTIFICATION"));
	assert_false(sdf_abbrev_of("*", "*EXCLUSIVE"));
	assert_false(sdf_abbrev_of("", "*EXCLUSIVE"));
	assert_false(sdf_abbrev_of("EXCL", "*EXCLUSIVE"));
}

/* The tree as the command processor reads it. */
static void test_accessors(void **state)
{
	struct sdf_cmd *c;
	struct sdf_error e;

	assert_int_equal(sdf_parse(su_syntax, su_syntax_n,
				   "/CRE-VM-DEF VM1,MEM=2(DIM=*GIGA),DEV=*PAR(UNITS=(A0,"
				   "*DEV-R(B000,B007,*SHARED)))",
				   &c, &e),
			 0);
	assert_int_equal(c->def->id, SU_CMD_CREATE_VM_DEFINITION);
	assert_string_equal(su_cmd_id_to_string((enum su_cmd_id)c->def->id),
			    "CREATE-VM-DEFINITION");
	const struct sdf_operand *o = sdf_cmd_operand(c, "VM-NAME");
	assert_true(o->given);
	assert_int_equal(o->val.def->type, SDF_T_NAME);
	assert_string_equal(o->val.text, "VM1");
	assert_int_equal(o->val.pos, 13);
	o = sdf_cmd_operand(c, "VM-INDEX");
	assert_false(o->given);
	assert_true(sdf_value_is(&o->val, "*ANY"));
	assert_int_equal(o->val.pos, 0);
	o = sdf_cmd_operand(c, "MEMORY-SIZE");
	assert_int_equal(o->val.def->type, SDF_T_INTEGER);
	assert_int_equal(o->val.num, 2);
	assert_true(sdf_value_is(&sdf_value_operand(&o->val, "DIMENSION")->val, "*GIGABYTE"));
	o = sdf_cmd_operand(c, "DEVICES");
	assert_true(sdf_value_is(&o->val, "*PARAMETERS"));
	const struct sdf_operand *u = sdf_value_operand(&o->val, "UNITS");
	assert_true(u->val.is_list);
	assert_int_equal(u->val.n_items, 2);
	assert_string_equal(u->val.items[0].text, "A0");
	assert_true(sdf_value_is(&u->val.items[1], "*DEVICE-RANGE"));
	assert_string_equal(sdf_value_operand(&u->val.items[1], "TO")->val.text, "B007");
	assert_int_equal(sdf_value_operand(&u->val.items[1], "TO")->val.def->type, SDF_T_X_TEXT);
	assert_true(sdf_value_is(&sdf_value_operand(&u->val.items[1], "USAGE")->val, "*SHARED"));
	assert_false(sdf_value_operand(&o->val, "USAGE")->given);
	assert_null(sdf_cmd_operand(c, "NO-SUCH"));
	assert_null(sdf_value_operand(&u->val.items[0], "FROM"));
	/* the canonical form reports the length it needs */
	char small[8];
	size_t need = sdf_cmd_format(c, small, sizeof(small));
	assert_true(need > sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	c = sdf_cmd_free(c);
	assert_null(sdf_cmd_free(NULL));

	/* a list operand given one value or its default is a list of one */
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, "/SHOW-VM-RES", &c, &e), 0);
	o = sdf_cmd_operand(c, "UNITS");
	assert_true(o->val.is_list && o->val.n_items == 1);
	assert_true(sdf_value_is(&o->val.items[0], "*ALL"));
	c = sdf_cmd_free(c);

	/* fixed: × 100; c-string content with its case and one quote */
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n,
				   "/MOD-VM-ATTR 3,CPU-QUOTA=1.5,PASSWORD=C'It''s'", &c, &e),
			 0);
	assert_int_equal(sdf_cmd_operand(c, "CPU-QUOTA")->val.num, 150);
	assert_string_equal(sdf_cmd_operand(c, "CPU-QUOTA")->val.text, "1.50");
	assert_string_equal(sdf_cmd_operand(c, "PASSWORD")->val.text, "It's");
	assert_int_equal(sdf_cmd_operand(c, "VM-IDENTIFICATION")->val.num, 3);
	c = sdf_cmd_free(c);

	/* err may be NULL */
	c = NULL;
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, "/NOTHING", &c, NULL), -EINVAL);
	assert_null(c);
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, NULL, &c, &e), -EINVAL);
}

/* Every command of the table: ids in order, and its defaults parse (a command alone is
 * either complete or misses a required operand, never an internal error). */
static void test_syntax_table(void **state)
{
	char line[64];

	assert_int_equal(su_syntax_n, SU_CMD_MAX - 1);
	for (size_t i = 0; i < su_syntax_n; i++) {
		struct sdf_cmd *c = NULL;
		struct sdf_error e;
		assert_int_equal(su_syntax[i].id, (int)i + 1);
		snprintf(line, sizeof(line), "/%s", su_syntax[i].name);
		int r = sdf_parse(su_syntax, su_syntax_n, line, &c, &e);
		if (r < 0) {
			print_message("%s: %s\n", line, e.msg);
			assert_non_null(strstr(e.msg, "required operand"));
		} else {
			assert_ptr_equal(c->def, &su_syntax[i]);
			c = sdf_cmd_free(c);
		}
	}
	assert_string_equal(su_cmd_id_to_string(SU_CMD_HELP_MSG_INFORMATION), "HELP-MSG-INFORMATION");
	assert_string_equal(su_cmd_id_to_string(SU_CMD_MAX), "?");
}

/* ---- a test table for what the VM2000 table does not exercise ---- */

static const struct sdf_operand_def s_nest[1];
static const struct sdf_value_def v_nest[] = {
	{.type = SDF_T_KEYWORD, .keyword = "*NEST", .sub = s_nest, .n_sub = 1},
	{.type = SDF_T_INTEGER, .min = 0, .max = 9},
};
static const struct sdf_operand_def s_nest[1] = {{.name = "INNER", .alt = v_nest, .n_alt = 2, .def = "0"}};
static const struct sdf_value_def v_key[] = {
	{.type = SDF_T_KEYWORD, .keyword = "*SD"},
	{.type = SDF_T_KEYWORD, .keyword = "*SDX"},
	{.type = SDF_T_KEYWORD, .keyword = "*SHARED-DEVICE"},
};
static const struct sdf_value_def v_int[] = {{.type = SDF_T_INTEGER, .min = 0, .max = 9}};

/* wide: a list of *A, each 16 × 16 × 16 operands of defaults */
#define OP16(v, d)                                                                          \
	{"P01", v, 1, d, 0}, {"P02", v, 1, d, 0}, {"P03", v, 1, d, 0}, {"P04", v, 1, d, 0},     \
	{"P05", v, 1, d, 0}, {"P06", v, 1, d, 0}, {"P07", v, 1, d, 0}, {"P08", v, 1, d, 0},     \
	{"P09", v, 1, d, 0}, {"P10", v, 1, d, 0}, {"P11", v, 1, d, 0}, {"P12", v, 1, d, 0},     \
	{"P13", v, 1, d, 0}, {"P14", v, 1, d, 0}, {"P15", v, 1, d, 0}, {"P16", v, 1, d, 0}
static const struct sdf_operand_def s_c[] = {OP16(v_int, "0")};
static const struct sdf_value_def v_c[] = {{.type = SDF_T_KEYWORD, .keyword = "*C", .sub = s_c, .n_sub = 16}};
static const struct sdf_operand_def s_b[] = {OP16(v_c, "*C")};
static const struct sdf_value_def v_b[] = {{.type = SDF_T_KEYWORD, .keyword = "*B", .sub = s_b, .n_sub = 16}};
static const struct sdf_operand_def s_a[] = {OP16(v_b, "*B")};
static const struct sdf_value_def v_a[] = {
	{.type = SDF_T_KEYWORD, .keyword = "*A", .sub = s_a, .n_sub = 16, .flags = SDF_F_LIST}};
static const struct sdf_value_def v_bad[] = {{.type = SDF_T_INTEGER, .min = 0, .max = 9}};

static const struct sdf_operand_def o_test[] = {
	{.name = "NEST", .alt = v_nest, .n_alt = 2, .def = "0"},
	{.name = "KEY", .alt = v_key, .n_alt = 3, .def = "*SD"},
	{.name = "WIDE", .alt = v_a, .n_alt = 1, .def = "*A", .list_max = 64},
};
static const struct sdf_operand_def o_short[] = {{.name = "KEY", .alt = v_key, .n_alt = 3, .def = "*SD"}};
static const struct sdf_operand_def o_baddef[] = {{.name = "X", .alt = v_bad, .n_alt = 1, .def = "*NONE"}};
static const struct sdf_command_def test_tab[] = {
	{.name = "TEST-CMD", .id = 1, .ops = o_test, .n_ops = 3},
	{.name = "TEST", .id = 2, .ops = o_short, .n_ops = 1},
	{.name = "BAD-DEFAULT", .id = 3, .ops = o_baddef, .n_ops = 1},
};

static int parse_test(const char *in, struct sdf_error *e, char *out, size_t size)
{
	struct sdf_cmd *c = NULL;
	int r = sdf_parse(test_tab, 3, in, &c, e);

	if (r == 0) {
		sdf_cmd_format(c, out, size);
		sdf_cmd_free(c);
	}
	return r;
}

static void test_exact_wins(void **state)
{
	struct sdf_error e;
	char out[256];

	assert_int_equal(parse_test("/TEST", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST [KEY=*SD]");
	assert_int_equal(parse_test("/TES", &e, out, sizeof(out)), -EINVAL);
	assert_string_equal(e.msg, "ambiguous command name 'TES'; candidates: TEST-CMD, TEST");
	assert_int_equal(parse_test("/TEST KEY=*SD", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SD");
	assert_int_equal(parse_test("/TEST KEY=SD", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SD");
	assert_int_equal(parse_test("/TEST KEY=*SDX", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SDX");
	assert_int_equal(parse_test("/TEST KEY=*SH", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SHARED-DEVICE");
	assert_int_equal(parse_test("/TEST KEY=*S", &e, out, sizeof(out)), -EINVAL);
	assert_string_equal(e.msg, "ambiguous value '*S' for KEY; candidates: *SD, *SDX, *SHARED-DEVICE");
	assert_int_equal(e.pos, 11);
	/* a table default that does not parse is reported, not hidden */
	assert_int_equal(parse_test("/BAD-DEFAULT", &e, out, sizeof(out)), -EINVAL);
	assert_non_null(strstr(e.msg, "internal error: default '*NONE' of operand X"));
}

static void test_limits(void **state)
{
	struct sdf_error e;
	char in[SDF_MAX_INPUT + 64], out[512];

	/* nesting: 8 levels below the command are fine, 9 are not */
	strcpy(in, "/TEST-CMD NEST=");
	for (int i = 0; i < 8; i++)
		strcat(in, "*NEST(");
	strcat(in, "5");
	for (int i = 0; i < 8; i++)
		strcat(in, ")");
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "TEST-CMD NEST=*NEST(INNER=*NEST(INNER=*NEST(INNER="));
	assert_non_null(strstr(out, "(INNER=5)))))))) [KEY=*SD] [WIDE=*A([P01=*B([P01=*C([P01=0]"));

	/* the tree limit: one *A (16^3 operands of defaults) fits (above), three do not */
	assert_int_equal(parse_test("/TEST-CMD WIDE=(*A,*A,*A)", &e, out, sizeof(out)), -E2BIG);
	assert_non_null(strstr(e.msg, "command too complex: its tree exceeds 1048576 bytes"));

	/* nesting deeper than SDF_MAX_DEPTH, before any tree limit */
	strcpy(in, "/TEST-CMD NEST=");
	for (int i = 0; i < 9; i++)
		strcat(in, "*N(");
	strcat(in, "5");
	for (int i = 0; i < 9; i++)
		strcat(in, ")");
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), -E2BIG);
	assert_string_equal(e.msg, "structures nested deeper than 8 levels");
	assert_int_equal(e.pos, 16 + 8 * 3 + 2);

	/* input length */
	memset(in, ' ', sizeof(in));
	memcpy(in, "/TEST", 5);
	in[SDF_MAX_INPUT] = '\0';
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), 0);
	in[SDF_MAX_INPUT] = ' ';
	in[SDF_MAX_INPUT + 1] = '\0';
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), -E2BIG);
	assert_int_equal(e.pos, SDF_MAX_INPUT + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	  cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_abbrev),	  cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_syntax_table), cmocka_unit_test(test_exact_wins),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
