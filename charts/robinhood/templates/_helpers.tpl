{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "robinhood.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object name. */}}
{{- define "robinhood.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects: (dict "root" $ "component" "controller"). */}}
{{- define "robinhood.componentName" -}}
{{- printf "%s-%s" (include "robinhood.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "robinhood.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "robinhood.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: robinhood
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "controller"). */}}
{{- define "robinhood.selectorLabels" -}}
app.kubernetes.io/name: {{ include "robinhood.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component's objects. */}}
{{- define "robinhood.componentLabels" -}}
{{ include "robinhood.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Image of a Robinhood host: (dict "root" $ "image" .Values.controller.image). */}}
{{- define "robinhood.image" -}}
{{- if not .root.Values.image.registry -}}
{{- fail "image.registry is required: the registry (with its path, ending in /) the Robinhood images were pushed to, e.g. ghcr.io/your-org/ (see .github/workflows/release.yaml)" -}}
{{- end -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s%s:%s" .root.Values.image.registry .image.repository $tag -}}
{{- end }}

{{/* ServiceAccount name of one component. */}}
{{- define "robinhood.serviceAccountName" -}}
{{- include "robinhood.componentName" . }}
{{- end }}

{{/* The controller's gRPC address, as agents and proxies dial it (Robinhood:Controller). */}}
{{- define "robinhood.controllerAddress" -}}
{{- printf "http://%s.%s.svc:%d" (include "robinhood.componentName" (dict "root" . "component" "controller-grpc")) .Release.Namespace (int .Values.controller.grpcPort) -}}
{{- end }}

{{/* Name of the Lease the controller replicas elect a leader on. */}}
{{- define "robinhood.leaseName" -}}
{{- .Values.controller.leadership.leaseName | default (include "robinhood.componentName" (dict "root" . "component" "controller")) -}}
{{- end }}

{{/* Shards services are spread over: controller.leadership.shards, or as many as the controller's replicas. */}}
{{- define "robinhood.shards" -}}
{{- .Values.controller.leadership.shards | default .Values.controller.replicas | default 1 | int -}}
{{- end }}

{{/* Secret and key holding ConnectionStrings:Redis, or nothing when the connection string is in-chart or unset. */}}
{{- define "robinhood.redisSecretName" -}}
{{- if not .Values.redis.enabled -}}
{{- if .Values.redis.external.existingSecret -}}
{{- .Values.redis.external.existingSecret -}}
{{- else if .Values.redis.external.connectionString -}}
{{- include "robinhood.componentName" (dict "root" . "component" "redis") -}}
{{- end -}}
{{- end -}}
{{- end }}

{{- define "robinhood.redisSecretKey" -}}
{{- if .Values.redis.external.existingSecret -}}
{{- .Values.redis.external.existingSecretKey -}}
{{- else -}}
connectionString
{{- end -}}
{{- end }}

{{/* Pod-level settings shared by every Robinhood pod. */}}
{{- define "robinhood.podCommon" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The /tmp emptyDir every read-only .NET container writes to (diagnostics socket, temp files). */}}
{{- define "robinhood.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "robinhood.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Secret and key of the in-chart Redis's password: the existing one, or the one the chart generates. */}}
{{- define "robinhood.redisAuthSecretName" -}}
{{- .Values.redis.auth.existingSecret | default (include "robinhood.componentName" (dict "root" . "component" "redis-auth")) -}}
{{- end }}

{{- define "robinhood.redisAuthSecretKey" -}}
{{- if .Values.redis.auth.existingSecret -}}
{{- .Values.redis.auth.existingSecretKey -}}
{{- else -}}
password
{{- end -}}
{{- end }}

{{/* Secret of the in-chart Redis's TLS certificate (tls.crt, tls.key, ca.crt): the existing one, or the one cert-manager or the chart writes. */}}
{{- define "robinhood.redisTlsSecretName" -}}
{{- .Values.redis.tls.existingSecret | default (include "robinhood.componentName" (dict "root" . "component" "redis-tls")) -}}
{{- end }}

{{/* The names the in-chart Redis's certificate holds: its Service, short and qualified, and loopback for its probes. */}}
{{- define "robinhood.redisTlsNames" -}}
{{- $svc := include "robinhood.componentName" (dict "root" . "component" "redis") -}}
{{- toJson (list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) "localhost") -}}
{{- end }}

{{/* The namespaces Robinhood serves, as a JSON list: the release namespace and those of namespace/name services. */}}
{{- define "robinhood.serviceNamespaces" -}}
{{- $namespaces := list .Release.Namespace -}}
{{- range .Values.controller.kubernetes.services -}}
{{- if contains "/" . -}}
{{- $namespaces = append $namespaces (first (splitList "/" .)) -}}
{{- end -}}
{{- end -}}
{{- $namespaces | uniq | toJson -}}
{{- end }}

{{/* Secret and key of the read token (Robinhood:Read:Token): the existing one, or the one the chart generates. */}}
{{- define "robinhood.readSecretName" -}}
{{- .Values.readAccess.existingSecret | default (include "robinhood.componentName" (dict "root" . "component" "read")) -}}
{{- end }}

{{- define "robinhood.readSecretKey" -}}
{{- if .Values.readAccess.existingSecret -}}
{{- .Values.readAccess.existingSecretKey -}}
{{- else -}}
token
{{- end -}}
{{- end }}
