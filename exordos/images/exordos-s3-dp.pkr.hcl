# Copyright 2026 Genesis Corporation.
#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.
#
# Standalone packer template of the S3 data-plane image, for building it
# without the exordos CLI (`exordos build` generates its own template from its
# debian_12 profile and runs the same install.sh with the same payload).
#
#   scripts/build-image-payload.sh
#   packer build \
#     -var base_image_url=https://cloud.debian.org/images/cloud/bookworm/<date>/debian-12-genericcloud-amd64-<date>.qcow2 \
#     -var base_image_sha512=<its SHA512 from SHA512SUMS of that date> \
#     exordos/images/exordos-s3-dp.pkr.hcl
#
# The base image is pinned by a dated URL and its checksum: both are required
# variables, there is no "latest". Written for packer >= 1.6.6 (Debian 12's
# packer validates it in CI); packer >= 1.10 needs the qemu plugin first:
# `packer plugins install github.com/hashicorp/qemu`.

packer {
  required_version = ">= 1.6.6"
}

variable "base_image_url" {
  type        = string
  description = "Dated Debian 12 genericcloud qcow2 URL (never .../latest/...)."
}

variable "base_image_sha512" {
  type        = string
  description = "SHA512 of the base image, from that date's SHA512SUMS."
}

variable "payload_dir" {
  type        = string
  default     = "output/image-payload"
  description = "Output of scripts/build-image-payload.sh (relative to the cwd)."
}

variable "disk_size" {
  type    = string
  default = "4G"
}

variable "output_directory" {
  type    = string
  default = "output/images"
}

source "qemu" "exordos-s3-dp" {
  iso_url          = var.base_image_url
  iso_checksum     = "sha512:${var.base_image_sha512}"
  disk_image       = true
  disk_size        = var.disk_size
  disk_interface   = "virtio-scsi"
  disk_discard     = "unmap"
  format           = "raw"
  accelerator      = "kvm"
  headless         = true
  cpus             = 2
  memory           = 2048
  net_device       = "virtio-net"
  output_directory = var.output_directory
  vm_name          = "exordos-s3-dp.raw"

  # cloud-init (NoCloud) lets the build log in once with a password
  # (cloud-init/user-data); the shutdown command removes it.
  cd_label = "cidata"
  cd_files = ["${path.root}/cloud-init/meta-data", "${path.root}/cloud-init/user-data"]
  ssh_username     = "debian"
  ssh_password     = "exordos-s3-image-build"
  ssh_timeout      = "10m"
  shutdown_command = "sudo sh -c 'passwd -d debian; passwd -l debian; cloud-init clean --logs --seed; rm -f /etc/machine-id; touch /etc/machine-id; poweroff'"
}

build {
  sources = ["source.qemu.exordos-s3-dp"]

  provisioner "file" {
    source      = var.payload_dir
    destination = "/tmp/image-payload"
  }

  provisioner "shell" {
    inline = [
      "sudo mkdir -p /opt/exordos-s3",
      "sudo rm -rf /opt/exordos-s3/payload",
      "sudo mv /tmp/image-payload /opt/exordos-s3/payload",
    ]
  }

  provisioner "shell" {
    execute_command = "sudo -S env {{ .Vars }} {{ .Path }}"
    script          = "${path.root}/install.sh"
  }
}
