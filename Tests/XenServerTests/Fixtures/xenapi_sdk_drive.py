# Drives the lab XAPI server with the official XenAPI SDK (pip "XenAPI"),
# unmodified, the way a provisioning script would. Prints one JSON report.
import json
import os
import sys
import time

import XenAPI

session = XenAPI.Session(sys.argv[1])
session.xenapi.login_with_password(os.environ["LAB_USER"], os.environ["LAB_PASSWORD"], "1.0", "vizor-tests")
x = session.xenapi
try:
    records = x.VM.get_all_records()
    template = [ref for ref, r in records.items()
                if r["is_a_template"] and not r["is_a_snapshot"] and r["name_label"] == "Debian Bookworm 12"][0]

    # Async clone with task tracking; the result is an XML-RPC fragment.
    task = x.Async.VM.clone(template, "sdk-built")
    deadline = time.time() + 10
    while x.task.get_status(task) == "pending":
        if time.time() > deadline:
            raise SystemExit("clone task did not finish")
        time.sleep(0.05)
    result = x.task.get_result(task)
    x.task.destroy(task)
    vm = result.replace("<value>", "").replace("</value>", "")
    assert x.VM.get_is_a_template(vm), "a clone of a template is a template"

    pool = x.pool.get_all()[0]
    sr_uuid = x.SR.get_uuid(x.pool.get_default_SR(pool))
    disks = x.VM.get_other_config(vm)["disks"].replace('sr=""', 'sr="%s"' % sr_uuid)
    x.VM.remove_from_other_config(vm, "disks")
    x.VM.add_to_other_config(vm, "disks", disks)
    x.VM.provision(vm)
    assert not x.VM.get_is_a_template(vm)
    x.VM.set_memory_limits(vm, str(2 << 30), str(2 << 30), str(2 << 30), str(2 << 30))

    isos = [v for v in x.VDI.get_by_name_label("ipxe.iso")
            if x.SR.get_content_type(x.VDI.get_SR(v)) == "iso"]
    x.VBD.create({"VM": vm, "VDI": isos[0], "userdevice": "3", "bootable": False, "mode": "RO", "type": "CD",
                  "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    network = [n for n, r in x.network.get_all_records().items() if r["bridge"] == "xenbr0"][0]
    vif = x.VIF.create({"device": "0", "network": network, "VM": vm, "MAC": "", "MTU": "1500",
                        "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    mac = x.VIF.get_MAC(vif)
    boot = x.VM.get_HVM_boot_params(vm)
    boot["order"] = "dcn"
    x.VM.set_HVM_boot_params(vm, boot)

    token = x.event_from(["vm"], "", 0.0)["token"]
    x.VM.start(vm, False, False)
    power_event = None
    deadline = time.time() + 10
    while power_event is None and time.time() < deadline:
        batch = x.event_from(["vm"], token, 5.0)
        token = batch["token"]
        for event in batch["events"]:
            if event["ref"] == vm and event["operation"] == "mod":
                power_event = event["snapshot"]["power_state"]
    report = {"vm_count": len(records), "vm_uuid": x.VM.get_uuid(vm), "mac": mac, "power_event": power_event,
              "task_result_is_ref": vm.startswith("OpaqueRef:")}
finally:
    x.session.logout()
print(json.dumps(report))
