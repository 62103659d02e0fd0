#    Copyright 2026 Genesis Corporation.
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
"""Routes of /v1/types/s3/, mounted by MetaPaaS through the PaaSDefinition."""

from restalchemy.api import routes

from exordos_paas_s3.controlplane.api import controllers


class AccessKeyRoute(routes.Route):
    __controller__ = controllers.AccessKeyController


class PolicyAttachmentRoute(routes.Route):
    __controller__ = controllers.PolicyAttachmentController


class UserRoute(routes.Route):
    __controller__ = controllers.UserController

    # /v1/types/s3/instances/<uuid>/users/<uuid>/keys/[<uuid>]
    keys = routes.route(AccessKeyRoute, resource_route=True)
    # /v1/types/s3/instances/<uuid>/users/<uuid>/policies/[<uuid>]
    policies = routes.route(PolicyAttachmentRoute, resource_route=True)


class BucketRoute(routes.Route):
    __controller__ = controllers.BucketController


class PolicyRoute(routes.Route):
    __controller__ = controllers.PolicyController


class InstanceRoute(routes.Route):
    __controller__ = controllers.InstanceController

    buckets = routes.route(BucketRoute, resource_route=True)
    policies = routes.route(PolicyRoute, resource_route=True)
    users = routes.route(UserRoute, resource_route=True)


class VersionRoute(routes.Route):
    __controller__ = controllers.VersionController


class S3Route(routes.Route):
    """/v1/types/s3/"""

    __controller__ = controllers.S3Controller
    # GET of /v1/types/s3/<name> reaches S3Controller.get, which answers
    # 404 for a path that does not exist (RestAlchemy would say 405).
    __allow_methods__ = [routes.FILTER, routes.GET]

    instances = routes.route(InstanceRoute)
    versions = routes.route(VersionRoute)
