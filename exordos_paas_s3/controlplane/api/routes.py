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
from restalchemy.common import exceptions as ra_exc

from exordos_paas_s3.controlplane import input_rules
from exordos_paas_s3.controlplane.api import controllers


class _Route(routes.Route):
    @classmethod
    def get_route(cls, name):
        # An unknown path segment is a 404 (IncorrectRouteAttribute, which
        # RestAlchemy's is_route expects), but RestAlchemy's message repeats
        # the whole segment, however long, and the route's module path.
        try:
            return super().get_route(name)
        except ra_exc.IncorrectRouteAttribute:
            raise ra_exc.IncorrectRouteAttribute(
                route=cls.__name__, attr=input_rules.shorten(name)
            ) from None


class AccessKeyRoute(_Route):
    __controller__ = controllers.AccessKeyController


class PolicyAttachmentRoute(_Route):
    __controller__ = controllers.PolicyAttachmentController


class UserRoute(_Route):
    __controller__ = controllers.UserController

    # /v1/types/s3/instances/<uuid>/users/<uuid>/keys/[<uuid>]
    keys = routes.route(AccessKeyRoute, resource_route=True)
    # /v1/types/s3/instances/<uuid>/users/<uuid>/access-keys/[<uuid>]: the
    # same collection under the seed contract's name (RestAlchemy looks a
    # path segment up with "-" as "_").
    access_keys = routes.route(AccessKeyRoute, resource_route=True)
    # /v1/types/s3/instances/<uuid>/users/<uuid>/policies/[<uuid>]
    policies = routes.route(PolicyAttachmentRoute, resource_route=True)

    def _build_openapi_routes_specification(
        self, route_names, current_path, parameters=None
    ):
        # RestAlchemy writes the attribute name into the path; the spec shows
        # the alias as clients write it (the route takes both spellings).
        names = ["access-keys" if n == "access_keys" else n for n in route_names]
        return super()._build_openapi_routes_specification(
            names, current_path, parameters
        )


class BucketRoute(_Route):
    __controller__ = controllers.BucketController


class PolicyRoute(_Route):
    __controller__ = controllers.PolicyController


class InstanceRoute(_Route):
    __controller__ = controllers.InstanceController

    buckets = routes.route(BucketRoute, resource_route=True)
    policies = routes.route(PolicyRoute, resource_route=True)
    users = routes.route(UserRoute, resource_route=True)


class VersionRoute(_Route):
    __controller__ = controllers.VersionController


# The names of our collections (see S3Route.do).
_COLLECTIONS = frozenset(
    {"instances", "versions", "buckets", "policies", "users", "keys", "access-keys"}
)


class S3Route(_Route):
    """/v1/types/s3/"""

    __controller__ = controllers.S3Controller
    # GET of /v1/types/s3/<name> reaches S3Controller.get, which answers
    # 404 for a path that does not exist (RestAlchemy would say 405).
    __allow_methods__ = [routes.FILTER, routes.GET]

    instances = routes.route(InstanceRoute)
    versions = routes.route(VersionRoute)

    def do(self, parent_resource=None, **kwargs):
        # The seed contract updates with PATCH. RestAlchemy's PUT already
        # changes only the fields the body names, so PATCH is served as PUT.
        if self._req.method == "PATCH":
            self._req.method = "PUT"
        # The seed contract writes collections without the trailing slash
        # (POST /v1/types/s3/instances); RestAlchemy would take the name for
        # a resource id. No resource id is ever a collection name.
        path = self._req.path_info
        if path.rsplit("/", 1)[-1] in _COLLECTIONS:
            self._req.path_info = path + "/"
        return super().do(parent_resource=parent_resource, **kwargs)
