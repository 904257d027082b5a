/* msgcat.c — the message catalogue (msgcat.h). Sorted by id. Arguments of the templates:
 * VMs are passed preformatted as "(index,name)", SUs as the bare name (the template quotes
 * it), devices as the MN, numbers as unsigned (%u) or unsigned long long (%llu).
 * "ours = false": the text or its meaning is VM2000's (vm2000-facts.md §1.1, §1.24, §1.25);
 * where only the meaning was known the text is ours and ours = true. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "su/msgcat.h"

static const struct su_msgdef cat[] = {
    {"CMD0001", "COMMAND PROCESSED",
     "Return code: the command was processed without error (subcode 2 = 1: nothing to do, "
     "subcode 2 = 2: processed with a warning).",
     "None.", false},
    {"CMD0202", "SYNTAX ERROR IN COMMAND: %s",
     "Return code (subcode 1 = 1): the command line could not be parsed; the text names the "
     "position and what was expected.",
     "Correct the command and enter it again.", true},
    {"CMD0221", "INTERNAL ERROR: %s",
     "Return code (subcode 1 = 32): the command could not be processed because of an internal "
     "error of the monitor system.",
     "Report the message and the command to the administrator of the SU.", true},
    {"HAL0331", "BS2000 SUSPEND",
     "KVP console of the guest on the source SU x86 (seed 4.6.2): the live migration stopped "
     "the guest on the source SU to move its last memory pages and registers (phase 3). On an "
     "SU /390 the source's monitor says VMS2452 instead.",
     "None; HAL0332 follows on the target SU's KVP console (on the source's when the live "
     "migration is aborted after it: the guest continues there).", false},
    {"HAL0332", "BS2000 RESUME, CONTINUING",
     "KVP console of the guest on the target SU x86 (seed 4.6.2): the guest continues on the "
     "target SU where it was stopped on the source. On an SU /390 the target's monitor says "
     "VMS2432 instead.",
     "None.", false},
    {"NSI6231", "LIVE MIGRATION HAS OCCURED; DATA OF THE IPL HOST WILL BE DISPLAYED",
     "/SHOW-SYSTEM-INFORMATION after at least one live migration of the system, with MIGHOST "
     "set to the IPL host (the default): CONFIGURATION, VM-INDEX and the monitor's HOST-NAME "
     "are those of the SU where the system was loaded (seed 4.5; the seed's example prints "
     "the wording \"HAS ALREADY TAKEN PLACE; DATA OF IPL HOST\").",
     "None; CURRENT-CONFIGURATION names the SU the system runs on now.", false},
    {"NSI6232", "LIVE MIGRATION HAS OCCURED; DATA OF THE CURRENT HOST WILL BE DISPLAYED",
     "/SHOW-SYSTEM-INFORMATION after at least one live migration of the system, with MIGHOST "
     "set to the current host (SU setting mighost = current): the data shown are those of the "
     "SU the system runs on now (seed 4.5).",
     "None.", false},
    {"VMS2050", "GUEST SYSTEM ON VM %s READY",
     "Target SU x86 (seed 4.6.2): the live migration ended and the guest system runs on this "
     "SU (after HAL0332 on its KVP console). Not given when the VM migrated INIT-ONLY or DOWN "
     "(no guest system runs).",
     "None.", false},
    {"VMS2300", "VM DEFINITION '%s' DOES NOT EXIST",
     "No VM definition with this name exists on this SU.",
     "Check the name with /SHOW-VM-DEFINITION VM-NAME=*ALL.", true},
    {"VMS2302", "VM DEFINITION '%s' IS ACTIVE: VIRTUAL MACHINE %s IS INITIALIZED",
     "The command is only allowed for the definition of a VM that is not initialized "
     "(/MODIFY-VM-DEFINITION, /ACTIVATE-VM-DEFINITION, /DELETE-VM-DEFINITION).",
     "Use /MODIFY-VM-ATTRIBUTES or /ADD-VM-DEVICES for an initialized VM, or terminate it "
     "with /DELETE-VM first.",
     true},
    {"VMS2311", "MAXIMUM NUMBER OF VM DEFINITIONS (%u) REACHED",
     "The SU already holds the maximum number of VM definitions (setting "
     "max_vm_definitions, default 98).",
     "Delete a VM definition that is no longer needed (/DELETE-VM-DEFINITION).", true},
    {"VMS2320", "VM DEFINITION '%s' MIGRATED TO SU '%s'",
     "/MIGRATE-VM-DEFINITION moved the definition of a VM that is not initialized (DEFINED_ONLY) to the partner SU of the SU Cluster: the partner wrote it (same vm_uuid, epoch + 1, migrated from this SU), then this SU removed its copy.",
     "Activate the VM on the target SU with /ACTIVATE-VM-DEFINITION if needed.", true},
    {"VMS2321", "VM DEFINITION '%s' MIGRATED TO SU '%s' BUT NOT DELETED ON SU '%s': %s",
     "Return code (subcode 2 = 2): the target SU wrote the definition, but this SU could not write its own region without it. The copy left on this SU is superseded (the target's has a higher epoch and names this SU) and is dropped by the next reconcile (crd.md §6); it never starts here.",
     "Look at the SU's CRD disks; nothing else to do.", true},
    {"VMS2322", "VM DEFINITION '%s' TAKEN OVER FROM SU '%s'",
     "The target side of /MIGRATE-VM-DEFINITION: this SU now owns the definition (state NOT INITIALIZED).",
     "None.", true},
    {"VMS2323", "VM DEFINITION '%s' COULD NOT BE MIGRATED TO SU '%s': %s",
     "Return code (subcode 1 = 64): the target SU could not write the definition (the text says why). Nothing changed; the definition stays on this SU.",
     "Remove the cause and enter the command again.", true},
    {"VMS2324", "VM DEFINITION '%s' REJECTED BY TARGET SU '%s'. REASON: %s",
     "Return code (subcode 1 = 64): a precondition on the target SU is not met; the reason's own message follows. Nothing changed.",
     "Remove the conflict on the target SU and enter the command again.", true},
    {"VMS2325", "MIGRATION OF VM DEFINITION '%s' NOT CONFIRMED IN TIME BY TARGET SU '%s'",
     "Return code (subcode 1 = 64): the target SU did not answer in time; it may or may not have written the definition. This SU keeps its copy; if the target's copy arrived, the next reconcile (crd.md §6) drops this one, else nothing changed.",
     "Check with /SHOW-VM-DEFINITION on both SUs after the next reconcile; enter the command again if the definition is still here.", true},
    {"VMS2330", "VM DEFINITIONS OF SU '%s' COMPARED WITH THE CRD: %u DEFINITION(S); VM2000 READY",
     "The SU daemon read its VM definitions from the CRD and reconciled them with the guests its "
     "guard still runs (a restart re-attaches them); it accepts VM2000 commands from now on.",
     "None.", true},
    {"VMS2340", "VM DEFINITION '%s' RECOVERED FROM SU '%s'",
     "/RECOVER-VM-DEFINITION (seed 5): the definition of the VM (same vm_uuid) now belongs to "
     "this SU, with a higher epoch and 'recovered from' the remote SU, state DEFINED_ONLY, "
     "nothing allocated. The remote SU drops its copy when it comes back (crd.md §6).",
     "Adapt the definition if needed (/MODIFY-VM-DEFINITION, e.g. mirror disks), then "
     "/ACTIVATE-VM-DEFINITION and /START-VM.", true},
    {"VMS2341", "NO UNIQUE REMOTE SU FOR SU '%s'",
     "Return code (subcode 1 = 64): SERVER-UNIT-NAME=*UNIQUE needs exactly one partner SU, but this SU is in no SU Cluster (or its partner is not known).",
     "Give the target SU by name, or put the SU into an SU Cluster (sectl sucluster).", true},
    {"VMS2342", "SU '%s' IS THE LOCAL SU",
     "Return code (subcode 1 = 64): the target SU named is this SU itself.",
     "Name the partner SU.", true},
    {"VMS2343", "SU '%s' IS NOT IN AN SU CLUSTER WITH SU '%s'",
     "The target SU is not the partner of this SU in its SU Cluster.",
     "Name the partner SU of the SU Cluster.", true},
    {"VMS2344", "REMOTE SU '%s' IS RUNNING",
     "Return code (subcode 1 = 64) of /RECOVER-VM-DEFINITION: the remote SU's alive message "
     "in the CRD is still renewed, or was renewed less than its dead bound ago (crd.md §4): "
     "it may still run the VM. Nothing changed.",
     "Wait until the remote SU is dead (sectl units shows its verdict), or use the VM on the "
     "remote SU.", true},
    {"VMS2345", "VM DEFINITION '%s' CANNOT BE READ FROM SU '%s'",
     "Return code (subcode 1 = 64) of /RECOVER-VM-DEFINITION: the remote SU's CRD region "
     "could not be read on the disks required (or holds no such definition data). Nothing "
     "changed.",
     "Check the CRD disks (sectl crd inspect) and enter the command again.", true},
    {"VMS2346", "VM DEFINITION '%s' IS NOT UNIQUE IN THE SU CLUSTER",
     "The definition is in CONFLICT (the same vm_uuid looks valid on both SUs, or the target holds a tombstone or a copy of it, crd.md §6); it cannot be moved.",
     "Resolve the conflict: delete the copy that is wrong with /DELETE-VM-DEFINITION.", true},
    {"VMS2347", "SU '%s' IS IN NO SU CLUSTER",
     "Live migration and definition migration need an SU Cluster of two SUs.",
     "Create an SU Cluster (sectl sucluster create).", true},
    {"VMS2348", "RECOVERY OF VM DEFINITION '%s' FROM SU '%s' IN DOUBT: THE CRD WRITE TOOK %s MS",
     "Return code (subcode 2 = 2) of /RECOVER-VM-DEFINITION: the write of the recovered "
     "definition completed later than io_timeout after it was issued (crd.md §6). It is on "
     "this SU's disks, but the remote SU may have come back meanwhile: the result is not "
     "reported as done.",
     "Check /SHOW-VM-DEFINITION on both SUs after the next reconcile (10 s): the copy with "
     "the higher epoch wins; a copy on both marked CONFLICT needs /DELETE-VM-DEFINITION of "
     "the wrong one.", true},
    {"VMS2349", "STATE OF REMOTE SU '%s' CANNOT BE DETERMINED: RECOVERY OF VM DEFINITION '%s' "
		"NEEDS THE CONFIRMATION THAT THE SU IS DOWN",
     "Return code (subcode 1 = 64) of /RECOVER-VM-DEFINITION: the CRD cannot tell whether the "
     "remote SU is dead — it runs with fencing 'none', or with two external CRD disks one "
     "cannot be read, or it never wrote an alive message (crd.md §5). Nothing changed.",
     "Make sure the remote SU and its guests are down (power, console), then confirm: sectl vm "
     "recover VM --confirm-down (API \"confirm_down\": true).", true},
    {"VMS2400", "TARGET SU '%s' NOT DETECTED",
     "Return code (subcode 1 = 64): no SU of this name is known, or its model could not be read.",
     "Check the name (sectl sucluster show).", true},
    {"VMS2401", "ANOTHER LIVE MIGRATION FROM SU '%s' IS RUNNING",
     "Only one outbound live migration per source SU (seed 4.8); this SU may still be the target of another one.",
     "Wait until the running live migration has ended.", true},
    {"VMS2402", "SU CLUSTER '%s' IS NOT ACTIVE",
     "The SU Cluster is INACTIVE (deactivated, e.g. for maintenance): no live migration and no definition migration.",
     "Activate it (sectl sucluster activate) and enter the command again.", true},
    {"VMS2404", "LIVE MIGRATION OF VM %s REJECTED BY TARGET SU '%s'. REASON: %s",
     "A precondition of the live migration is not met (one message per conflict); the reason's own message follows.",
     "Remove the conflict and enter the command again.", false},
    {"VMS2405", "LIVE MIGRATION OF VM %s NOT POSSIBLE IN STATE %s",
     "Live migration moves VMs in state RUNNING, INIT-ONLY or DOWN only (not IN HOLD, FENCED, CONFLICT, or while the VM already migrates).",
     "Bring the VM into one of these states.", true},
    {"VMS2406", "CONFIGURATION UPDATE RUNNING ON SU '%s'",
     "A live migration is rejected while a dynamic I/O configuration change runs (seed 4.8).",
     "Wait until it has ended.", true},
    {"VMS2407", "VIRTUAL MACHINE %s IS NOT INITIALIZED: USE /MIGRATE-VM-DEFINITION",
     "A VM definition that is not initialized (DEFINED_ONLY) is moved with /MIGRATE-VM-DEFINITION, not by live migration.",
     "Enter /MIGRATE-VM-DEFINITION VM-NAME=<name>.", true},
    {"VMS2408", "THE MONITOR SYSTEM CANNOT BE MIGRATED",
     "The monitor system (1,MONITOR) is the SU daemon itself (seed 4.8).",
     "None.", true},
    {"VMS2409", "VM2000 SHUTDOWN INITIATED ON SU '%s'",
     "A live migration is rejected once a VM2000 shutdown was initiated (seed 4.8).",
     "None.", true},
    {"VMS2410", "SU '%s' (%s, %s) AND SU '%s' (%s, %s) DIFFER IN SU TYPE OR OPERATION MODE",
     "Source and target must have the same SU type and the same BS2000 operation mode (VM2000 or Native BS2000; Native only on SU x86).",
     "Choose a target SU of the same type and mode.", true},
    {"VMS2411", "NATIVE BS2000: A BS2000 SYSTEM EXISTS ON TARGET SU '%s'",
     "Native BS2000 can only move to an SU in Native BS2000 mode with no BS2000 on it (seed 4.1).",
     "Delete the BS2000 on the target SU first (SE Manager: Delete BS2000).", true},
    {"VMS2425",
     "CHANGING MEMORY PAGES CANNOT BE TRANSFERRED IN TIME. LIVE MIGRATION OF VM %s TO TARGET "
     "SU '%s' ABORTED",
     "SU /390 (seed 4.7): the guest changes its memory faster than it can be moved within the "
     "allowed time; the live migration was aborted and everything reversed: the guest keeps "
     "running on the source SU, detached devices are attached again, the target's "
     "reservations are released. An SU x86 never aborts for this reason (it throttles the "
     "guest and completes).",
     "Migrate at a time of lower load, or give the monitor systems more CPU capacity.", false},
    {"VMS2426", "LIVE MIGRATION OF VM %s ABORTED. REASON: %s",
     "The live migration was aborted after it had started (seed 4.7: the target could not get "
     "its resources, the connection between the SUs broke, the target's QEMU or SU daemon "
     "ended, the memory copy stalled, or the target could not commit the ownership of the VM "
     "definition on the CRD). Everything was reversed: the guest keeps running on the source "
     "SU, detached devices are attached again, the target's reservations are released, the "
     "definition stays with the source; the MONJV of the migration says $AE. Given on both "
     "SUs.",
     "Remove the cause named in the reason and enter /MIGRATE-VM again.", true},
    {"VMS2427", "LIVE MIGRATION OF VM %s: THE COMMIT ON TARGET SU '%s' IS IN DOUBT (%s); THE VM "
		"STAYS STOPPED UNTIL IT IS DECIDED",
     "The source SU asked the target to commit the ownership of the VM definition and got no "
     "answer (crd.md §6). The guest stays stopped: the target may have committed and resumed "
     "it. The source asks the target again, and once the target is dead it reads the target's "
     "CRD region: a commit there ends the live migration (VMS2451), none continues the guest "
     "here (VMS2426).",
     "Wait; bring the target SU back if it is down.", true},
    {"VMS2428", "LIVE MIGRATION OF VM %s: THE CRD RECORD OF TARGET SU '%s' CANNOT BE READ; THE VM "
		"STAYS STOPPED",
     "In doubt about the commit (VMS2427) and the target is dead, but its CRD region cannot be "
     "read on the disks required: whether the target committed cannot be decided.",
     "Repair the CRD disks (sectl crd inspect); the decision is taken as soon as they read. "
     "If they cannot be read in time, an administrator decides: sectl vm lm-resolve VM "
     "--resume-source|--discard-source --i-understand (docs/lm.md).",
     true},
    {"VMS2429", "LIVE MIGRATION OF VM %s TO SU '%s' WAS RUNNING WHEN THE SU DAEMON STOPPED; %s",
     "After a restart the SU found its record of an outgoing live migration on the CRD (docs/lm.md "
     "crash table) and settles it with the target: the target aborts (the guest stays here) or "
     "has committed (the guest runs there; this SU's copy goes).",
     "None.", true},
    {"VMS2430", "LIVE MIGRATION OF VM %s FROM SOURCE SU '%s' STARTED",
     "Target SU /390 (seed 4.6.1): an inbound live migration began; the VM is set up on this "
     "SU (SETUP(MIGR)).",
     "None.", false},
    {"VMS2431", "LIVE MIGRATION OF VM %s FROM SOURCE SU '%s' COMPLETED",
     "Target SU /390 (seed 4.6.1): the inbound live migration ended; this SU owns the VM now.",
     "None.", false},
    {"VMS2432", "VM %s RESUMED AT LIVE MIGRATION FROM SOURCE SU '%s'",
     "Target SU /390 (seed 4.6.1): the guest continues on this SU where it was suspended on the "
     "source.",
     "None.", false},
    {"VMS2437", "CPU POOL '%s' HAS NO CPU ON SU '%s'",
     "The VM's CPU pool exists on the target SU but has no real CPU attached (seed 4.1: at least one).",
     "Attach a CPU to the pool on the target SU.", true},
    {"VMS2450", "LIVE MIGRATION OF VM %s TO TARGET SU '%s' STARTED",
     "Source SU (seed 4.6): the checks passed and the live migration began; the VM shows "
     "<state>(MIGR) and its MONJV MIGR-OUT until it ends.",
     "None; the end is VMS2451 (or VMS2426 / VMS2425 when it is aborted).", false},
    {"VMS2451", "LIVE MIGRATION OF VM %s TO TARGET SU '%s' COMPLETED",
     "Source SU (seed 4.6): the last message of a successful live migration; the VM runs on the "
     "target SU and is gone from this SU.",
     "None.", false},
    {"VMS2452", "VM %s SUSPENDED AT LIVE MIGRATION TO TARGET SU '%s'",
     "Source SU /390 (seed 4.6.1): the guest was stopped on this SU to move its last memory "
     "pages and registers to the target (phase 3). On an SU x86 the guest's KVP console says "
     "HAL0331 instead.",
     "None.", false},
    {"VMS2460", "LIVE MIGRATION OF VM %s TO TARGET SU '%s' POSSIBLE",
     "/CHECK-VM-MIGRATION found no conflict (warnings VMS2471 may precede it).",
     "None.", true},
    {"VMS2461", "LIVE MIGRATION OF VM %s TO TARGET SU '%s' NOT POSSIBLE",
     "Return code (subcode 2 = 2): at least one precondition is not met; the conflicts precede this message.",
     "Remove the conflicts and check again.", true},
    {"VMS2471", "DEVICE '%s' OF VM %s WILL BE DETACHED AT LIVE MIGRATION",
     "A warning: tapes and local disks are removable media; the live migration detaches them on the source and they stay detached on the target (re-attached on the source if it aborts).",
     "Stop tape operation before the migration.", true},
    {"VMS3000", "VM2000 COMMAND /%s FOR VIRTUAL MACHINE %s PROCESSED SUCCESSFULLY",
     "The command was carried out completely.", "None.", false},
    {"VMS3001", "SHUTDOWN OF GUEST SYSTEM ON VIRTUAL MACHINE %s INITIATED",
     "/SHUTDOWN-VM asked the guest system to shut down (ACPI power button). A guest that "
     "does not react is stopped after the grace time; the VM then is in state DOWN.",
     "Wait for message VMS4021.", true},
    {"VMS3011", "COMMAND /%s NOT SUPPORTED ON SU X86",
     "The command or function exists only on an SU /390 (e.g. /HOLD-VM, /RESUME-VM, VM "
     "groups). Return code VMS9004.",
     "None.", true},
    {"VMS3042", "COMMAND /%s REJECTED: VIRTUAL MACHINE %s IS BEING MIGRATED",
     "The command is not allowed while a live migration of the VM runs.",
     "Enter the command again after the live migration has ended.", true},
    {"VMS3050", "VIRTUAL MACHINE %s CREATED",
     "The VM was initialized (state INIT-ONLY): its QEMU process runs paused with its "
     "memory and devices reserved.",
     "Start the guest system with /START-VM.", false},
    {"VMS4000", "VIRTUAL MACHINE '%s' NOT YET CREATED",
     "No initialized VM has this VM index or name.",
     "Check the VM identification with /SHOW-VM-RESOURCES; initialize the VM with "
     "/CREATE-VM or /ACTIVATE-VM-DEFINITION.",
     true},
    {"VMS4001", "DEVICE '%s' NOT GENERATED IN THE I/O CONFIGURATION OF SU '%s'",
     "The MN is not in the SU's I/O configuration (setting io_config). For /ADD-VM-DEVICES "
     "to a VM with the sub-status DIFF (SU /390, seed 4.8) the SU named is the one the VM "
     "was live-migrated from: a device that SU did not generate cannot be assigned until "
     "the VM migrates back or is activated again.",
     "Check the MN with /SHOW-VM-RESOURCES INFORMATION=*UNITS; for DIFF, generate the "
     "device on the source SU, migrate the VM back, or activate it again (/DELETE-VM, "
     "/ACTIVATE-VM-DEFINITION).",
     true},
    {"VMS4003", "DEVICE '%s' ALREADY ASSIGNED IN EXCLUSIVE MODE TO VIRTUAL MACHINE %s",
     "The device is assigned exclusively to another initialized VM and cannot be assigned "
     "to a second one.",
     "Remove the device from the other VM (/REMOVE-VM-DEVICES) or choose another device.", true},
    {"VMS4004",
     "DEVICE '%s' ASSIGNED IN SHARED MODE TO VIRTUAL MACHINE %s: EXCLUSIVE ASSIGNMENT NOT "
     "POSSIBLE",
     "An exclusive assignment was requested for a device that another initialized VM uses "
     "in shared mode.",
     "Assign the device in shared mode (TYPE=*SD, USAGE=*SHARED) or remove it from the "
     "other VM.",
     true},
    {"VMS4005", "DEVICE '%s' ASSIGNED TO VIRTUAL MACHINE %s%s",
     "The device was assigned to the VM; \" (TYPE=SD)\" marks a shared assignment. On the "
     "target SU x86 of a live migration the line ends \" (BY SYSADM)\" (seed 4.6.2).", "None.",
     false},
    {"VMS4006", "DEVICE '%s' ALREADY ASSIGNED TO VIRTUAL MACHINE %s",
     "The device is already in the VM's device list; nothing was changed for it.", "None.", true},
    {"VMS4007", "DEVICE '%s' NOT ASSIGNED TO VIRTUAL MACHINE %s",
     "The device to be removed is not assigned to the VM.",
     "Check the VM's devices with /SHOW-VM-ATTRIBUTES INFORMATION=*UNITS.", true},
    {"VMS4008", "NO DEVICE OF THE I/O CONFIGURATION IN RANGE '%s' TO '%s'",
     "A *DEVICE-RANGE selected no device of the SU's I/O configuration.",
     "Check the range against /SHOW-VM-RESOURCES INFORMATION=*UNITS.", true},
    {"VMS4009", "DEVICE '%s' REMOVED FROM VIRTUAL MACHINE %s",
     "The device was removed from the VM; after a live migration the source SU removes every "
     "device of the migrated VM (on an SU x86 the line ends \" (BY SYSADM)\", seed 4.6.2).",
     "None.", false},
    {"VMS4010", "DEVICE RANGE '%s' TO '%s' INVALID",
     "FROM and TO of a *DEVICE-RANGE must both be 2 alphanumerics or both 4 hex digits, "
     "with FROM not above TO.",
     "Correct the range.", true},
    {"VMS4011", "VM INDEX %u NOT AVAILABLE",
     "The VM index is already used by another VM or VM definition of this SU (index 1 is "
     "the monitor system). Seen in VM2000 as a rejection reason; text ours.",
     "Choose another VM index or VM-INDEX=*ANY.", true},
    {"VMS4012", "NO FREE VM INDEX", "VM-INDEX=*ANY found no free index 2..99 on this SU.",
     "Delete a VM definition that is no longer needed.", true},
    {"VMS4013", "VM NAME '%s' NOT AVAILABLE",
     "A VM or VM definition with this name already exists on this SU (MONITOR is the "
     "monitor system's name).",
     "Choose another name.", true},
    {"VMS4015", "VIRTUAL MACHINE %s IS INITIALIZED: ITS DEFINITION CANNOT BE MIGRATED",
     "Return code (subcode 1 = 64): /MIGRATE-VM-DEFINITION moves only definitions of VMs that are not initialized.",
     "Use /MIGRATE-VM for an initialized VM, or terminate it with /DELETE-VM first.", true},
    {"VMS4016", "MAXIMUM NUMBER OF VIRTUAL MACHINES (%u) REACHED",
     "The SU already runs the maximum number of initialized VMs (setting max_vms, default "
     "32).",
     "Terminate a VM with /DELETE-VM first.", true},
    {"VMS4017", "TOO MANY DEVICES FOR VIRTUAL MACHINE %s (AT MOST %u)",
     "The VM would have more devices than this SU supports.", "Assign fewer devices.", true},
    {"VMS4018", "DISK '%s' CANNOT BE ADDED TO OR REMOVED FROM THE INITIALIZED VIRTUAL MACHINE %s",
     "A disk would have to be hot-plugged into the guest's QEMU, which needs the guest's "
     "cooperation (PCI hot-plug); this SU does not do it. Tapes and local disks are removable "
     "media and can be added and removed at any time.",
     "Change the VM's disks while it is not initialized: /DELETE-VM, /MODIFY-VM-DEFINITION "
     "DEVICES=*ADD(...) or *REMOVE(...), /ACTIVATE-VM-DEFINITION.", true},
    {"VMS4021", "GUEST SYSTEM ON VIRTUAL MACHINE %s TERMINATED. VM IN STATE DOWN",
     "The guest system shut down (or was stopped after /SHUTDOWN-VM); the VM stays "
     "initialized with its memory and devices.",
     "Start it again with /START-VM or terminate the VM with /DELETE-VM.", true},
    {"VMS4022", "VIRTUAL MACHINE %s ENDED ABNORMALLY: %s",
     "The QEMU process of the VM ended without /DELETE-VM; the VM is no longer initialized "
     "(a persistent definition stays).",
     "Look at the VM's KVP console log and the SU's events; activate the VM again.", true},
    {"VMS4023", "VIRTUAL MACHINE %s FENCED: %s",
     "The SU's guard killed the guest because the SU lost its CRD lease (crd.md §4); the "
     "VM is shown as FENCED and is never started again by itself.",
     "Check the SU Cluster; terminate the state with /DELETE-VM, then activate the VM "
     "again.",
     true},
    {"VMS4024", "VIRTUAL MACHINE %s TERMINATED",
     "The VM was terminated (/DELETE-VM, or on the source SU /390 after a live migration); its "
     "memory and devices are free.",
     "None.", false},
    {"VMS4030", "IPL DEVICE '%s' NOT ASSIGNED TO VIRTUAL MACHINE %s",
     "The IPL unit of /START-VM must be a device assigned to the VM.",
     "Assign the device with /ADD-VM-DEVICES or give another IPL-UNIT.", true},
    {"VMS4031", "IPL DEVICE '%s' IS NOT A DISK (CLASS %s)",
     "The IPL unit of /START-VM must be a disk.", "Give a disk as IPL-UNIT.", true},
    {"VMS4032", "NO IPL DEVICE KNOWN FOR VIRTUAL MACHINE %s",
     "The first /START-VM of a VM must name its IPL unit; IPL-UNIT=*STD uses the IPL unit "
     "last used.",
     "Enter /START-VM with IPL-UNIT=<MN>.", true},
    {"VMS4033", "IPL DEVICE '%s' NOT ASSIGNED EXCLUSIVELY TO VIRTUAL MACHINE %s",
     "The IPL device must be assigned explicitly and exclusively to the VM.",
     "Assign the device with usage *EXCLUSIVE.", true},
    {"VMS4034", "DEVICE '%s' GENERATED DIFFERENTLY ON SU '%s': %s",
     "The device is in the target SU's I/O configuration, but not identically (device type, host connector, unit id, or for a disk its backing file).",
     "Make the I/O configurations of both SUs agree for this MN.", true},
    {"VMS4040", "COMMAND /%s NOT ALLOWED FOR VIRTUAL MACHINE %s IN STATE %s",
     "The VM's state does not allow the command (e.g. /DELETE-VM CHECK-VM-STATE=*YES for a "
     "RUNNING VM, /START-VM for a RUNNING VM).",
     "Bring the VM into a suitable state, or use CHECK-VM-STATE=*NO where offered.", true},
    {"VMS4041", "COMMAND /%s NOT ALLOWED FOR THE MONITOR SYSTEM (1,MONITOR)",
     "The monitor system (the SU daemon) cannot be created, started, held, modified or "
     "deleted by command.",
     "None.", true},
    {"VMS4043", "NOTHING TO DO: VIRTUAL MACHINE %s ALREADY IN STATE %s",
     "The VM already is in the state the command would bring it to (return code CMD0001, "
     "subcode 2 = 1).",
     "None.", true},
    {"VMS4050", "COMMAND /%s FOR VIRTUAL MACHINE %s NOT EXECUTED. REASON: %s",
     "The SU could not carry out the command (QEMU, the guard or the CRD failed); nothing "
     "of it was applied.",
     "Look at the reason and the SU's events; enter the command again.", true},
    {"VMS4504", "MAIN MEMORY BOTTLENECK: VIRTUAL MACHINE %s NEEDS %llu MB, %llu MB FREE",
     "Return code (subcode 1 = 128): the SU's guest memory (setting memory_mib) minus the "
     "memory of the initialized VMs is smaller than the VM's memory size.",
     "Terminate another VM or give the VM less memory.", true},
    {"VMS4620", "CPU POOL '%s' DOES NOT EXIST", "The CPU pool is not defined on this SU.",
     "Use *STDPOOL or a defined CPU pool (/SHOW-VM-RESOURCES INFORMATION=*CPU).", true},
    {"VMS4621", "VM GROUP '%s' DOES NOT EXIST", "The VM group is not defined on this SU.",
     "Use a defined VM group (/SHOW-VM-RESOURCES INFORMATION=*CPU).", true},
    {"VMS4622", "%u CPUS REQUESTED FOR VIRTUAL MACHINE %s: CPU POOL '%s' HAS %u REAL CPUS",
     "A VM cannot have more virtual CPUs than its CPU pool has real CPUs.", "Request fewer CPUs.",
     true},
    {"VMS6000", "VM2000 NOT AVAILABLE ON SU '%s': %s",
     "Return code (subcode 1 = 130): the monitor system does not accept commands now: the SU "
     "daemon is starting (reading its VM definitions, connecting to sec-guard), cannot read "
     "its CRD region, or is stopping. The text says which.",
     "Wait until the SU is ready (its monitor console shows VMS2330) and enter the command "
     "again; if it stays, look at the SU's events and sec-guard.", true},
    {"VMS6020", "VIRTUAL MACHINE %s CREATED BY SYSTEM ADMINISTRATION",
     "Target SU x86 (seed 4.6.2): the VM of an inbound live migration was set up on this SU "
     "(SETUP(MIGR)); its devices follow with VMS4005 (BY SYSADM).",
     "None.", false},
    {"VMS6021", "VIRTUAL MACHINE %s TERMINATED BY SYSTEM ADMINISTRATION",
     "Source SU x86 (seed 4.6.2): after the live migration the VM was terminated on this SU and "
     "its memory and devices released (on an SU /390: VMS4024).",
     "None.", false},
    {"VMS9004", "FUNCTION NOT SUPPORTED ON THIS SU",
     "Return code (subcode 1 = 64): not supported on the current SU type or with the "
     "current parameters.",
     "None.", true},
    {"VMS9010", "COMMAND /%s NOT YET AVAILABLE IN THIS VERSION",
     "Live migration and recovery commands come with a later version of secluster.", "None.", true},
    {"VMS9011", "MESSAGE '%s' NOT IN THE MESSAGE CATALOGUE",
     "/HELP-MSG-INFORMATION knows no message with this number.",
     "Check the number; docs/messages.md lists all messages.", true},
    {"VMS9012", "JOB VARIABLE '%s' IS NOT THE MONJV OF A VIRTUAL MACHINE",
     "/SHOW-JV shows MONJVs of initialized VMs (MONJV= of /CREATE-VM or "
     "/ACTIVATE-VM-DEFINITION), the MONJVs of live migrations started on this SU (MONJV= of "
     "/MIGRATE-VM; the last 16 are kept), or the MONJV of a VM named by its VM name.",
     "Check the name.", true},
    {"VMS9013", "INVALID OPERAND VALUE: %s",
     "An operand value is in its syntax range but not usable (e.g. MEMORY-SIZE above the "
     "SU's memory, a VM group on SU x86 given to MODIFY-VM-DEFINITION).",
     "Correct the operand.", true},
};

#define NCAT (sizeof(cat) / sizeof(cat[0]))

const struct su_msgdef *su_msg_find(const char *id)
{
	for (size_t i = 0; i < NCAT; i++)
		if (strcasecmp(cat[i].id, id) == 0)
			return &cat[i];
	return NULL;
}

const struct su_msgdef *su_msg_all(size_t *n)
{
	*n = NCAT;
	return cat;
}

/* Template with printf conversions shown as BS2000 inserts "(&00)", "(&01)", ... */
void su_msg_inserts(const char *tmpl, char *out, size_t cap)
{
	size_t o = 0;
	unsigned k = 0;

	for (const char *s = tmpl; *s && o + 6 < cap; s++) {
		if (*s != '%') {
			out[o++] = *s;
			continue;
		}
		if (s[1] == '%') {
			out[o++] = '%';
			s++;
			continue;
		}
		while (*s && !isalpha((unsigned char)*s))
			s++;
		while (*s == 'l')
			s++;
		o += (size_t)snprintf(out + o, cap - o, "(&%02u)", k++);
	}
	out[o < cap ? o : cap - 1] = '\0';
}

static char *dupf(const char *fmt, const char *a, const char *b)
{
	char *s = NULL;

	if (asprintf(&s, fmt, a, b) < 0)
		return NULL;
	return s;
}

char **su_msg_help(const struct su_msgdef *d, size_t *n)
{
	char text[512];
	char **l = calloc(5, sizeof(*l));

	if (!l)
		return NULL;
	su_msg_inserts(d->text, text, sizeof(text));
	l[0] = dupf(" %s %s", d->id, text);
	l[1] = dupf(" %s%s", "MEANING", "");
	l[2] = dupf("   %s%s", d->meaning, "");
	l[3] = dupf(" %s%s", "RESPONSE", "");
	l[4] = dupf("   %s%s", d->response, "");
	for (int i = 0; i < 5; i++)
		if (!l[i]) {
			for (int j = 0; j < 5; j++)
				free(l[j]);
			free(l);
			return NULL;
		}
	*n = 5;
	return l;
}

int su_msg_vformat(char *out, size_t cap, const char *id, va_list ap)
{
	const struct su_msgdef *d = su_msg_find(id);
	char text[SU_MSG_TEXT_MAX];

	if (!d)
		return snprintf(out, cap, "%% %s ?", id);
	vsnprintf(text, sizeof(text), d->text, ap);
	return snprintf(out, cap, "%% %s %s", d->id, text);
}

int su_msg_format(char *out, size_t cap, const char *id, ...)
{
	va_list ap;
	int r;

	va_start(ap, id);
	r = su_msg_vformat(out, cap, id, ap);
	va_end(ap);
	return r;
}

const char *su_msg_reason(const char *line)
{
	const char *r;

	if (!line)
		return "";
	if ((r = strstr(line, "REASON: ")) && r[8])
		return r + 8;
	return strncmp(line, "% ", 2) ? line : line + 2;
}
