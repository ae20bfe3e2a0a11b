"""The Go structs a Tekton v1 Task or Pipeline is decoded into, as data.

Tekton hashes ``json.Marshal`` of its typed object, so what reaches the hash is decided
by these structs: their fields in declaration order, each with its JSON name and
``omitempty``; fields Go does not know are dropped on decoding. Transcribed (facts,
not code) from tektoncd/pipeline ``pkg/apis/pipeline/v1`` (commit 3ee1745, release
v1.15 era) and, for the Kubernetes types Steps and Sidecars use, k8s.io/api
``core/v1`` v0.35.7, the version that Tekton release builds with.

One line a struct: ``name:type`` per field, in Go's order. ``!`` after the name means
the field has no ``omitempty``; ``...Struct`` is an embedded struct whose fields are
promoted in its place (``json:",inline"``). Types: ``str bool int`` (any Go integer),
``quantity duration intorstr paramvalue rawext`` (types with a MarshalJSON of their
own, see :mod:`.gojson`), a struct's name, ``*T`` a pointer, ``[]T`` a slice, ``{}T``
a map with string keys.

Fields a Tekton object may hold that are missing here (rarely used volume sources,
``ephemeral`` volumes, a custom task's raw ``spec``) make signing refuse the object
with the field's path, rather than sign bytes Tekton would not hash.
"""

from __future__ import annotations

from dataclasses import dataclass

_TABLE = """
TaskSpec params:[]ParamSpec displayName:str description:str steps:[]Step volumes:[]Volume stepTemplate:*StepTemplate
  sidecars:[]Sidecar workspaces:[]WorkspaceDeclaration results:[]TaskResult
Step name!:str displayName:str image:str command:[]str args:[]str workingDir:str envFrom:[]EnvFromSource
  env:[]EnvVar computeResources:ResourceRequirements volumeMounts:[]VolumeMount volumeDevices:[]VolumeDevice
  imagePullPolicy:str securityContext:*SecurityContext script:str timeout:*duration workspaces:[]WorkspaceUsage
  onError:str stdoutConfig:*StepOutputConfig stderrConfig:*StepOutputConfig ref:*Ref params:[]Param
  results:[]StepResult when:[]WhenExpression
Ref name:str ...ResolverRef
ResolverRef resolver:str params:[]Param
StepOutputConfig path:str
StepTemplate image:str command:[]str args:[]str workingDir:str envFrom:[]EnvFromSource env:[]EnvVar
  computeResources:ResourceRequirements volumeMounts:[]VolumeMount volumeDevices:[]VolumeDevice
  imagePullPolicy:str securityContext:*SecurityContext
Sidecar name!:str image:str command:[]str args:[]str workingDir:str ports:[]ContainerPort envFrom:[]EnvFromSource
  env:[]EnvVar computeResources:ResourceRequirements volumeMounts:[]VolumeMount volumeDevices:[]VolumeDevice
  livenessProbe:*Probe readinessProbe:*Probe startupProbe:*Probe lifecycle:*Lifecycle terminationMessagePath:str
  terminationMessagePolicy:str imagePullPolicy:str securityContext:*SecurityContext stdin:bool stdinOnce:bool
  tty:bool script:str workspaces:[]WorkspaceUsage restartPolicy:*str
ParamSpec name!:str type:str description:str properties:{}PropertySpec default:*paramvalue enum:[]str
PropertySpec type:str
Param name!:str value!:paramvalue
TaskResult name!:str type:str properties:{}PropertySpec description:str value:*paramvalue
StepResult name!:str type:str properties:{}PropertySpec description:str
WorkspaceDeclaration name!:str description:str mountPath:str readOnly:bool optional:bool
WorkspaceUsage name!:str mountPath!:str
WhenExpression input:str operator:str values:[]str cel:str

PipelineSpec displayName:str description:str tasks:[]PipelineTask params:[]ParamSpec
  workspaces:[]PipelineWorkspaceDeclaration results:[]PipelineResult finally:[]PipelineTask
PipelineTask name:str displayName:str description:str taskRef:*TaskRef taskSpec:*EmbeddedTask when:[]WhenExpression
  retries:int runAfter:[]str params:[]Param matrix:*Matrix workspaces:[]WorkspacePipelineTaskBinding
  timeout:*duration pipelineRef:*PipelineRef pipelineSpec:*PipelineSpec onError:str
TaskRef name:str kind:str apiVersion:str ...ResolverRef
PipelineRef name:str apiVersion:str ...ResolverRef
EmbeddedTask ...RuntimeTypeMeta spec:rawext metadata:PipelineTaskMetadata ...TaskSpec
RuntimeTypeMeta apiVersion:str kind:str
PipelineTaskMetadata labels:{}str annotations:{}str
Matrix params:[]Param include:[]IncludeParams
IncludeParams name:str params:[]Param
PipelineResult name!:str type:str description!:str value!:paramvalue
PipelineWorkspaceDeclaration name!:str description:str optional:bool
WorkspacePipelineTaskBinding name!:str workspace:str subPath:str

EnvFromSource prefix:str configMapRef:*ConfigMapEnvSource secretRef:*SecretEnvSource
ConfigMapEnvSource ...LocalObjectReference optional:*bool
SecretEnvSource ...LocalObjectReference optional:*bool
LocalObjectReference name:str
EnvVar name!:str value:str valueFrom:*EnvVarSource
EnvVarSource fieldRef:*ObjectFieldSelector resourceFieldRef:*ResourceFieldSelector
  configMapKeyRef:*ConfigMapKeySelector secretKeyRef:*SecretKeySelector fileKeyRef:*FileKeySelector
ObjectFieldSelector apiVersion:str fieldPath!:str
ResourceFieldSelector containerName:str resource!:str divisor:quantity
ConfigMapKeySelector ...LocalObjectReference key!:str optional:*bool
SecretKeySelector ...LocalObjectReference key!:str optional:*bool
FileKeySelector volumeName!:str path!:str key!:str optional:*bool
ResourceRequirements limits:{}quantity requests:{}quantity claims:[]ResourceClaim
ResourceClaim name!:str request:str
VolumeMount name!:str readOnly:bool recursiveReadOnly:*str mountPath!:str subPath:str mountPropagation:*str
  subPathExpr:str
VolumeDevice name!:str devicePath!:str
SecurityContext capabilities:*Capabilities privileged:*bool seLinuxOptions:*SELinuxOptions
  windowsOptions:*WindowsSecurityContextOptions runAsUser:*int runAsGroup:*int runAsNonRoot:*bool
  readOnlyRootFilesystem:*bool allowPrivilegeEscalation:*bool procMount:*str seccompProfile:*SeccompProfile
  appArmorProfile:*AppArmorProfile
Capabilities add:[]str drop:[]str
SELinuxOptions user:str role:str type:str level:str
WindowsSecurityContextOptions gmsaCredentialSpecName:*str gmsaCredentialSpec:*str runAsUserName:*str hostProcess:*bool
SeccompProfile type!:str localhostProfile:*str
AppArmorProfile type!:str localhostProfile:*str
ContainerPort name:str hostPort:int containerPort!:int protocol:str hostIP:str
Probe ...ProbeHandler initialDelaySeconds:int timeoutSeconds:int periodSeconds:int successThreshold:int
  failureThreshold:int terminationGracePeriodSeconds:*int
ProbeHandler exec:*ExecAction httpGet:*HTTPGetAction tcpSocket:*TCPSocketAction grpc:*GRPCAction
Lifecycle postStart:*LifecycleHandler preStop:*LifecycleHandler stopSignal:*str
LifecycleHandler exec:*ExecAction httpGet:*HTTPGetAction tcpSocket:*TCPSocketAction sleep:*SleepAction
ExecAction command:[]str
HTTPGetAction path:str port!:intorstr host:str scheme:str httpHeaders:[]HTTPHeader
HTTPHeader name!:str value!:str
TCPSocketAction port!:intorstr host:str
GRPCAction port!:int service!:*str
SleepAction seconds!:int
Volume name!:str ...VolumeSource
VolumeSource hostPath:*HostPathVolumeSource emptyDir:*EmptyDirVolumeSource secret:*SecretVolumeSource
  persistentVolumeClaim:*PersistentVolumeClaimVolumeSource downwardAPI:*DownwardAPIVolumeSource
  configMap:*ConfigMapVolumeSource projected:*ProjectedVolumeSource csi:*CSIVolumeSource image:*ImageVolumeSource
HostPathVolumeSource path!:str type:*str
EmptyDirVolumeSource medium:str sizeLimit:*quantity
SecretVolumeSource secretName:str items:[]KeyToPath defaultMode:*int optional:*bool
PersistentVolumeClaimVolumeSource claimName!:str readOnly:bool
DownwardAPIVolumeSource items:[]DownwardAPIVolumeFile defaultMode:*int
DownwardAPIVolumeFile path!:str fieldRef:*ObjectFieldSelector resourceFieldRef:*ResourceFieldSelector mode:*int
ConfigMapVolumeSource ...LocalObjectReference items:[]KeyToPath defaultMode:*int optional:*bool
KeyToPath key!:str path!:str mode:*int
ProjectedVolumeSource sources!:[]VolumeProjection defaultMode:*int
VolumeProjection secret:*SecretProjection downwardAPI:*DownwardAPIProjection configMap:*ConfigMapProjection
  serviceAccountToken:*ServiceAccountTokenProjection
SecretProjection ...LocalObjectReference items:[]KeyToPath optional:*bool
ConfigMapProjection ...LocalObjectReference items:[]KeyToPath optional:*bool
DownwardAPIProjection items:[]DownwardAPIVolumeFile
ServiceAccountTokenProjection audience:str expirationSeconds:*int path!:str
CSIVolumeSource driver!:str readOnly:*bool fsType:*str volumeAttributes:{}str nodePublishSecretRef:*LocalObjectReference
ImageVolumeSource reference:str pullPolicy:str
"""

#: The types with a MarshalJSON of their own, and the plain scalars.
SCALARS = frozenset({"str", "bool", "int", "quantity", "duration", "intorstr", "paramvalue", "rawext"})


@dataclass(frozen=True)
class Field:
    """One field of a Go struct: its JSON name, its type, whether ``omitempty`` is set.
    An inline (embedded) field has ``name`` "" and a struct ``type``."""

    name: str
    type: str
    omitempty: bool = True

    @property
    def inline(self) -> bool:
        return self.name == ""


def _parse(table: str) -> dict[str, tuple[Field, ...]]:
    structs: dict[str, tuple[Field, ...]] = {}
    for block in table.replace("\n  ", " ").strip().splitlines():
        if not block.strip():
            continue
        name, *fields = block.split()
        parsed = []
        for spec in fields:
            if spec.startswith("..."):
                parsed.append(Field("", spec[3:], omitempty=False))
                continue
            key, typ = spec.split(":", 1)
            parsed.append(Field(key.rstrip("!"), typ, omitempty=not key.endswith("!")))
        structs[name] = tuple(parsed)
    return structs


STRUCTS = _parse(_TABLE)


def base(typ: str) -> str:
    """The element type under any ``*``, ``[]`` and ``{}``."""
    while typ[:1] == "*" or typ[:2] in ("[]", "{}"):
        typ = typ[1:] if typ[0] == "*" else typ[2:]
    return typ


def fields(struct: str) -> list[Field]:
    """A struct's fields with the embedded ones promoted in place, as Go's JSON sees it."""
    out: list[Field] = []
    for field in STRUCTS[struct]:
        out.extend(fields(field.type) if field.inline else [field])
    return out
