{{/*
The chart name, or nameOverride.
*/}}
{{- define "counter-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: the release name, plus the chart name unless the release name already contains it.
Truncated to 63 characters, the limit of a DNS label.
*/}}
{{- define "counter-service.fullname" -}}
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

{{/*
The chart label value: name and version.
*/}}
{{- define "counter-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object. Each object adds its app.kubernetes.io/component (app, postgresql, test).
*/}}
{{- define "counter-service.labels" -}}
helm.sh/chart: {{ include "counter-service.chart" . }}
{{ include "counter-service.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels shared by both workloads; selectors always add the component, so the app's Service
never selects the database pod.
*/}}
{{- define "counter-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "counter-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The app image: the tag defaults to the chart's appVersion.
*/}}
{{- define "counter-service.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The bundled PostgreSQL's name: its StatefulSet, client Service and generated Secret. Kept to 52 characters,
so the StatefulSet's pod names and controller-revision-hash labels stay within 63.
*/}}
{{- define "counter-service.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "counter-service.fullname" . | trunc 41 | trimSuffix "-") }}
{{- end }}

{{/*
The bundled PostgreSQL's image, and the major version that decides where it keeps its data.
*/}}
{{- define "counter-service.postgresql.image" -}}
{{- printf "%s:%s" .Values.postgresql.image.repository (toString .Values.postgresql.image.tag) }}
{{- end }}

{{- define "counter-service.postgresql.major" -}}
{{- regexFind "^[0-9]+" (toString .Values.postgresql.image.tag) | default "18" }}
{{- end }}

{{/*
True when the bundled PostgreSQL StatefulSet is rendered: postgresql.enabled, unless a CloudNativePG Cluster replaces it.
*/}}
{{- define "counter-service.postgresql.bundled" -}}
{{- if and .Values.postgresql.enabled (not .Values.cloudnativepg.enabled) }}true{{ end }}
{{- end }}

{{/*
The CloudNativePG Cluster's name. The operator refuses names over 50 characters; it names the read-write Service
<cluster>-rw and the app's credentials Secret <cluster>-app.
*/}}
{{- define "counter-service.cloudnativepg.fullname" -}}
{{- printf "%s-db" (include "counter-service.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{/*
The database the app connects to: the CloudNativePG Cluster's read-write Service (which follows the primary), the
bundled PostgreSQL's client Service, or externalDatabase.*.
*/}}
{{- define "counter-service.database.host" -}}
{{- if .Values.cloudnativepg.enabled }}
{{- printf "%s-rw" (include "counter-service.cloudnativepg.fullname" .) }}
{{- else if .Values.postgresql.enabled }}
{{- include "counter-service.postgresql.fullname" . }}
{{- else }}
{{- required "externalDatabase.host is required when postgresql.enabled=false" .Values.externalDatabase.host }}
{{- end }}
{{- end }}

{{- define "counter-service.database.url" -}}
{{- $host := include "counter-service.database.host" . }}
{{- if .Values.cloudnativepg.enabled }}
{{- printf "jdbc:postgresql://%s:5432/%s" $host .Values.cloudnativepg.database }}
{{- else if .Values.postgresql.enabled }}
{{- printf "jdbc:postgresql://%s:5432/%s" $host .Values.postgresql.auth.database }}
{{- else }}
{{- printf "jdbc:postgresql://%s:%d/%s" $host (int .Values.externalDatabase.port) .Values.externalDatabase.database }}
{{- with .Values.externalDatabase.jdbcParameters }}{{ printf "?%s" . }}{{ end }}
{{- end }}
{{- end }}

{{/*
The role the app connects as. A CloudNativePG Cluster's role is read from its Secret (key username) instead.
*/}}
{{- define "counter-service.database.username" -}}
{{- if .Values.cloudnativepg.enabled }}
{{- .Values.cloudnativepg.owner }}
{{- else if .Values.postgresql.enabled }}
{{- .Values.postgresql.auth.username }}
{{- else }}
{{- .Values.externalDatabase.username }}
{{- end }}
{{- end }}

{{/*
The Secret and key holding the database password: the one the CloudNativePG operator generates, the one this chart
generates, or an existing one.
*/}}
{{- define "counter-service.database.secretName" -}}
{{- if .Values.cloudnativepg.enabled }}
{{- printf "%s-app" (include "counter-service.cloudnativepg.fullname" .) }}
{{- else if .Values.postgresql.enabled }}
{{- .Values.postgresql.auth.existingSecret | default (include "counter-service.postgresql.fullname" .) }}
{{- else }}
{{- required "externalDatabase.existingSecret is required when postgresql.enabled=false" .Values.externalDatabase.existingSecret }}
{{- end }}
{{- end }}

{{- define "counter-service.database.secretKey" -}}
{{- if .Values.cloudnativepg.enabled }}
{{- "password" }}
{{- else if and .Values.postgresql.enabled .Values.postgresql.auth.existingSecret }}
{{- .Values.postgresql.auth.existingSecretPasswordKey }}
{{- else if .Values.postgresql.enabled }}
{{- "password" }}
{{- else }}
{{- .Values.externalDatabase.existingSecretPasswordKey }}
{{- end }}
{{- end }}

{{/*
The volume source of the JWT public key (auth.publicKey), empty when none is configured.
*/}}
{{- define "counter-service.auth.publicKeyVolume" -}}
{{- with .Values.auth.publicKey }}
{{- if .secretName }}
secret:
  secretName: {{ .secretName }}
  items:
    - key: {{ .key }}
      path: {{ .key }}
{{- else if .configMapName }}
configMap:
  name: {{ .configMapName }}
  items:
    - key: {{ .key }}
      path: {{ .key }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A resource quantity ("256Mi", "1Gi", "0.5G", "268435456") in bytes, as a float.
*/}}
{{- define "counter-service.bytes" -}}
{{- $quantity := toString . }}
{{- $suffix := regexFind "[a-zA-Z]+$" $quantity }}
{{- $factors := dict "" 1.0 "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 }}
{{- mulf (float64 (trimSuffix $suffix $quantity)) (get $factors $suffix) }}
{{- end }}

{{/*
Refuses an app memory limit the service cannot serve in: beside a heap of half the limit, the JVM holds about 170 MB
(the mapped AOT cache, G1's structures, code cache, thread stacks), so below 512Mi it is killed for memory under
load (docs/kubernetes.md, "Memory").
*/}}
{{- define "counter-service.memoryFloor" -}}
{{- with .Values.resources.limits.memory }}
{{- if lt (include "counter-service.bytes" . | float64) 536870912.0 }}
{{- fail (printf "resources.limits.memory is %v: the app needs at least 512Mi: beside a heap of half the limit the JVM holds about 170 MB, and below 512Mi it is killed for memory under load (docs/kubernetes.md, Memory)" .) }}
{{- end }}
{{- end }}
{{- end }}
