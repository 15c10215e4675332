{{/* The chart's name, at most 63 characters. */}}
{{- define "verifyd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name, with the chart's name unless it already contains it. */}}
{{- define "verifyd.fullname" -}}
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

{{- define "verifyd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "verifyd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "verifyd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "verifyd.labels" -}}
helm.sh/chart: {{ include "verifyd.chart" . }}
{{ include "verifyd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: verification
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "verifyd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "verifyd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "verifyd.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
verifyd's configuration file: `config` with server.port set to containerPort,
server.host defaulting to 0.0.0.0, and security.code_hmac_key read from the
environment when codeHmacKey names a Secret.
*/}}
{{- define "verifyd.config" -}}
{{- $config := deepCopy (default (dict) .Values.config) }}
{{- $server := merge (default (dict) $config.server) (dict "host" "0.0.0.0") }}
{{- $_ := set $server "port" (int .Values.containerPort) }}
{{- $_ := set $config "server" $server }}
{{- if .Values.codeHmacKey.secretName }}
{{- $security := default (dict) $config.security }}
{{- $_ := set $security "code_hmac_key" "${VERIFYD_CODE_KEY}" }}
{{- $_ := set $config "security" $security }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* Refuses values verifyd would not run with. */}}
{{- define "verifyd.validate" -}}
{{- $store := default (dict) .Values.config.store }}
{{- if and (gt (int .Values.replicaCount) 1) (ne (default "memory" $store.type) "mongodb") }}
{{- fail "replicaCount > 1 needs config.store.type: mongodb: the memory store is one instance's own (README \"Several instances on MongoDB\")" }}
{{- end }}
{{- if and (eq (default "memory" $store.type) "mongodb") (not .Values.codeHmacKey.secretName) (not (dig "security" "code_hmac_key" "" .Values.config)) }}
{{- fail "the mongodb store needs a code_hmac_key shared by every instance: set codeHmacKey.secretName (or config.security.code_hmac_key)" }}
{{- end }}
{{- if not .Values.config.providers }}
{{- fail "config.providers is empty: verifyd needs at least one provider" }}
{{- end }}
{{- end }}
