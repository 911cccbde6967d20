{{/*
wukong-operator.name is the chart name, or nameOverride.
*/}}
{{- define "wukong-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
wukong-operator.fullname prefixes every object's name: fullnameOverride, else the release name when it
already contains the chart name, else <release>-<chart>. Truncated to 45 characters so that the longest
suffix below (-leader-election, -metrics-reader) keeps names within 63.
*/}}
{{- define "wukong-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
wukong-operator.chart is the chart name and version, for the helm.sh/chart label.
*/}}
{{- define "wukong-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
wukong-operator.labels go on every object the chart renders.
*/}}
{{- define "wukong-operator.labels" -}}
helm.sh/chart: {{ include "wukong-operator.chart" . }}
{{ include "wukong-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
wukong-operator.selectorLabels identify the release; they never change across upgrades, so selectors may
use them.
*/}}
{{- define "wukong-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wukong-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
wukong-operator.managerSelectorLabels select the manager's pods, for the Deployment and the metrics Service.
*/}}
{{- define "wukong-operator.managerSelectorLabels" -}}
{{ include "wukong-operator.selectorLabels" . }}
app.kubernetes.io/component: manager
{{- end }}

{{/*
wukong-operator.serviceAccountName is the manager's ServiceAccount.
*/}}
{{- define "wukong-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "wukong-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
wukong-operator.image is the manager image; the tag defaults to the chart's appVersion.
*/}}
{{- define "wukong-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
